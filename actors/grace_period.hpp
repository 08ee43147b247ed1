#pragma once

#include <cstdint>

namespace corral {

/// Maximum grace period of a stop, in ms: 24 hours. The kernel cuts longer
/// periods to it, so that the timer's nanosecond count cannot overflow, and
/// the CLI and the control endpoint reject them.
constexpr std::uint64_t max_grace_ms = 86'400'000;

} // namespace corral
