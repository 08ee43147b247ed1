#pragma once

#include <cstdint>
#include <optional>

namespace corral {

/// What a usage figure means against its limit.
enum class limit_verdict {
  within,   ///< below 80%, or already warned
  warning,  ///< crossed 80% for the first time
  exceeded, ///< reached 100%
};

/// Compares `used` with `limit` (absent or 0: no limit). Every hosting
/// actor uses it, so that the 80% warning and the 100% exit mean the same
/// for every backend; `warned` remembers that the warning was given.
inline limit_verdict check_limit(std::uint64_t used,
                                 const std::optional<std::uint64_t>& limit,
                                 bool& warned) {
  if (!limit || *limit == 0)
    return limit_verdict::within;
  if (used >= *limit)
    return limit_verdict::exceeded;
  if (warned || used * 5 < *limit * 4)
    return limit_verdict::within;
  warned = true;
  return limit_verdict::warning;
}

} // namespace corral
