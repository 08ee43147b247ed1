#pragma once

#include <cstddef>

#include "bench/workloads.hpp"

namespace corral::bench {

/// Returns messages per second that node B's payload handler received
/// from node A, two cluster nodes in this process without CurveZMQ (or
/// with it when `curve` is set), one direction, `message_bytes` per body.
double corral_cluster_messages_per_s(std::size_t message_bytes, bool curve,
                                     const cluster_workload& work);

/// Returns messages per second that a ZeroMQ PULL socket received from a
/// PUSH socket in this process over TCP, `message_bytes` per message.
double zmq_push_pull_messages_per_s(std::size_t message_bytes,
                                    const cluster_workload& work);

/// Times round trips of a 64-byte payload from node A to node B, whose
/// payload handler sends it back. One request is in flight at a time.
latency_figures corral_cluster_round_trip(const cluster_workload& work);

/// Times round trips of a 64-byte message from a DEALER to a ROUTER that
/// sends it back, over TCP in this process.
latency_figures zmq_dealer_router_round_trip(const cluster_workload& work);

} // namespace corral::bench
