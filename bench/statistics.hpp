#pragma once

#include <algorithm>
#include <cmath>
#include <vector>

namespace corral::bench {

/// Returns the median of `values` (the mean of the middle two for an even
/// count), or 0 for an empty list.
inline double median(std::vector<double> values) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  auto middle = values.size() / 2;
  if (values.size() % 2 == 1)
    return values[middle];
  return (values[middle - 1] + values[middle]) / 2;
}

/// Returns the nearest-rank `fraction` percentile (0.99 for p99) of
/// `values`, or 0 for an empty list.
inline double percentile(std::vector<double> values, double fraction) {
  if (values.empty())
    return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<std::size_t>(std::ceil(fraction * values.size()));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

} // namespace corral::bench
