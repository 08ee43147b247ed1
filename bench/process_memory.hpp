#pragma once

#include <cstddef>

namespace corral::bench {

/// Returns this process's resident set size in bytes, read from
/// /proc/self/statm, or 0 where that file cannot be read.
std::size_t resident_bytes();

} // namespace corral::bench
