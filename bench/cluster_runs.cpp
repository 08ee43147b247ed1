#include "bench/cluster_runs.hpp"

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <zmq.hpp>

#include "bench/cluster_measure.hpp"
#include "net/cluster_node.hpp"
#include "net/curve_keys.hpp"

namespace corral::bench {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::uint8_t data_kind = first_payload_kind;
constexpr std::size_t round_trip_bytes = 64;

/// Bytes that may wait for the peer in the throughput runs. Without a small
/// bound, the sender queues far faster than the link drains and the run
/// measures memory allocation instead of the transport.
constexpr std::size_t bench_queue_bytes = 4 * 1024 * 1024;

cluster_config bench_config(const std::string& id,
                            std::vector<std::string> seeds) {
  cluster_config config;
  config.node_id = id;
  config.listen_address = "tcp://127.0.0.1:0";
  config.seeds = std::move(seeds);
  config.transport.max_queued_bytes_per_peer = bench_queue_bytes;
  return config;
}

void require_started(const std::optional<failure>& error) {
  if (error)
    throw std::runtime_error("cluster node failed to start: "
                             + to_string(*error));
}

bool sees_alive(const cluster_node& node, const std::string& peer) {
  for (const auto& member : node.members())
    if (member.node_id == peer && member.state == member_state::alive)
      return true;
  return false;
}

/// Two started cluster nodes on 127.0.0.1, "a" and "b", that see each
/// other alive. Handlers are registered by the caller before `start`.
struct node_pair {
  cluster_node a;
  cluster_node b;

  void start(bool curve) {
    auto config_a = bench_config("a", {});
    auto config_b = bench_config("b", {});
    if (curve)
      add_curve_keys(config_a, config_b);
    require_started(a.start(config_a));
    config_b.seeds = {a.listen_address()};
    if (curve)
      config_b.transport.security.seed_ids[a.listen_address()] = "a";
    require_started(b.start(config_b));

    auto deadline = clock_type::now() + std::chrono::seconds{10};
    while (!(sees_alive(a, "b") && sees_alive(b, "a"))) {
      if (clock_type::now() > deadline)
        throw std::runtime_error("cluster nodes a and b did not see each "
                                 "other alive within 10 s");
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    }
  }

  static void add_curve_keys(cluster_config& a, cluster_config& b) {
    auto keys_a = make_curve_key_pair();
    auto keys_b = make_curve_key_pair();
    if (!keys_a || !keys_b)
      throw std::runtime_error("making a CurveZMQ key pair failed: "
                               "libzmq has no CURVE support");
    auto enable = [](cluster_config& config, const curve_key_pair& own) {
      auto& security = config.transport.security;
      security.enabled = true;
      security.public_key = own.public_key;
      security.secret_key = own.secret_key;
    };
    enable(a, *keys_a);
    enable(b, *keys_b);
    a.transport.security.peer_keys["b"] = keys_b->public_key;
    b.transport.security.peer_keys["a"] = keys_a->public_key;
  }
};

} // namespace

double corral_cluster_messages_per_s(std::size_t message_bytes, bool curve,
                                     const cluster_workload& work) {
  std::atomic<std::uint64_t> received{0};
  node_pair nodes;
  nodes.b.on_payload(data_kind, data_kind, [&](const inbound_frame&) {
    received.fetch_add(1, std::memory_order_relaxed);
  });
  nodes.start(curve);

  std::string failure_text;
  stoppable_thread sender{[&](const std::atomic<bool>& stopping) {
    const std::string body(message_bytes, 'x');
    while (!stopping.load(std::memory_order_relaxed)) {
      auto error = nodes.a.send("b", lane::bulk, data_kind, body);
      if (!error)
        continue;
      // A full send queue is the back-pressure this run expects; anything
      // else ends the run.
      if (error->code != errc::resource_limit_exceeded) {
        failure_text = to_string(*error);
        return;
      }
      std::this_thread::yield();
    }
  }};
  auto rate = count_rate(received, work, "cluster");
  sender.stop();
  if (!failure_text.empty())
    throw std::runtime_error("cluster send failed: " + failure_text);
  return rate;
}

double zmq_push_pull_messages_per_s(std::size_t message_bytes,
                                    const cluster_workload& work) {
  zmq::context_t context;
  zmq::socket_t pull{context, zmq::socket_type::pull};
  pull.set(zmq::sockopt::rcvtimeo, 100);
  pull.bind("tcp://127.0.0.1:0");
  zmq::socket_t push{context, zmq::socket_type::push};
  push.set(zmq::sockopt::sndtimeo, 100);
  push.set(zmq::sockopt::linger, 0);
  push.connect(pull.get(zmq::sockopt::last_endpoint));

  std::atomic<std::uint64_t> received{0};
  stoppable_thread receiver{[&](const std::atomic<bool>& stopping) {
    zmq::message_t message;
    while (!stopping.load(std::memory_order_relaxed))
      if (pull.recv(message))
        received.fetch_add(1, std::memory_order_relaxed);
  }};
  stoppable_thread sender{[&](const std::atomic<bool>& stopping) {
    const std::string body(message_bytes, 'x');
    while (!stopping.load(std::memory_order_relaxed))
      (void) push.send(zmq::buffer(body));
  }};
  return count_rate(received, work, "raw ZeroMQ");
}

latency_figures corral_cluster_round_trip(const cluster_workload& work) {
  std::mutex mutex;
  std::condition_variable replied;
  std::uint64_t replies = 0;
  node_pair nodes;
  nodes.b.on_payload(data_kind, data_kind, [&](const inbound_frame& frame) {
    (void) nodes.b.send(frame.sender, lane::bulk, data_kind, frame.body);
  });
  nodes.a.on_payload(data_kind, data_kind, [&](const inbound_frame&) {
    std::lock_guard<std::mutex> guard{mutex};
    ++replies;
    replied.notify_one();
  });
  nodes.start(false);

  const std::string body(round_trip_bytes, 'x');
  std::uint64_t sent = 0;
  return time_round_trips(work, [&] {
    if (auto error = nodes.a.send("b", lane::bulk, data_kind, body))
      throw std::runtime_error("cluster send failed: " + to_string(*error));
    ++sent;
    std::unique_lock<std::mutex> lock{mutex};
    if (!replied.wait_for(lock, std::chrono::seconds{5},
                          [&] { return replies == sent; }))
      throw std::runtime_error("no echo from node b within 5 s");
  });
}

latency_figures zmq_dealer_router_round_trip(const cluster_workload& work) {
  zmq::context_t context;
  zmq::socket_t router{context, zmq::socket_type::router};
  router.set(zmq::sockopt::rcvtimeo, 100);
  router.bind("tcp://127.0.0.1:0");
  zmq::socket_t dealer{context, zmq::socket_type::dealer};
  dealer.set(zmq::sockopt::rcvtimeo, 5000);
  dealer.set(zmq::sockopt::linger, 0);
  dealer.connect(router.get(zmq::sockopt::last_endpoint));

  stoppable_thread echo{[&](const std::atomic<bool>& stopping) {
    zmq::message_t identity;
    zmq::message_t body;
    while (!stopping.load(std::memory_order_relaxed)) {
      if (!router.recv(identity))
        continue;
      (void) router.recv(body);
      router.send(identity, zmq::send_flags::sndmore);
      router.send(body, zmq::send_flags::none);
    }
  }};

  const std::string body(round_trip_bytes, 'x');
  zmq::message_t reply;
  return time_round_trips(work, [&] {
    dealer.send(zmq::buffer(body), zmq::send_flags::none);
    if (!dealer.recv(reply))
      throw std::runtime_error("no echo from the ROUTER socket within 5 s");
  });
}

} // namespace corral::bench
