#pragma once

#include <cstddef>

#include "bench/workloads.hpp"

namespace corral::bench {

/// Returns messages per second that an actor received from an actor of
/// another CAF actor system in this process over BASP (caf_io's
/// middleman, publish and remote_actor on 127.0.0.1), `message_bytes` of
/// string per message. BASP has no back-pressure, so the sender keeps at
/// most `caf_send_window` messages unacknowledged.
double caf_basp_messages_per_s(std::size_t message_bytes,
                               const cluster_workload& work);

/// Times requests of a 64-byte string from a scoped actor of one CAF
/// actor system to an echo actor of another over BASP on 127.0.0.1.
latency_figures caf_basp_round_trip(const cluster_workload& work);

/// Messages the BASP sender may have sent but not seen acknowledged.
inline constexpr std::size_t caf_send_window = 1000;

} // namespace corral::bench
