// A 64 MiB payload between two cluster nodes in one process over loopback
// TCP, while heartbeats run: the bulk lane must not hold back the control
// lane long enough for either node to suspect the other.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "net/cluster_node.hpp"

using namespace corral;
using std::chrono::milliseconds;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::size_t payload_bytes = 64 * 1024 * 1024;
constexpr std::uint8_t payload_kind = first_payload_kind;

cluster_config config_for(const std::string& id,
                          std::vector<std::string> seeds = {}) {
  cluster_config config;
  config.node_id = id;
  config.listen_address = "tcp://127.0.0.1:0";
  config.seeds = std::move(seeds);
  return config;
}

/// What one node saw of its peer while the test polled it.
struct peer_watch {
  std::string peer;
  std::uint64_t last_heartbeat = 0;
  clock_type::time_point last_change = clock_type::now();
  /// Maximum time between two changes of the peer's heartbeat sequence.
  milliseconds max_gap{0};
  std::int64_t max_rtt_us = 0;
  bool left_alive = false;

  void poll(const cluster_node& node, clock_type::time_point now) {
    for (const auto& member : node.members()) {
      if (member.node_id != peer)
        continue;
      if (member.state != member_state::alive)
        left_alive = true;
      if (member.rtt_us)
        max_rtt_us = std::max(max_rtt_us, *member.rtt_us);
      if (member.heartbeat != last_heartbeat) {
        max_gap = std::max(max_gap, std::chrono::duration_cast<milliseconds>(
                                      now - last_change));
        last_heartbeat = member.heartbeat;
        last_change = now;
      }
    }
  }
};

bool sees_alive(const cluster_node& node, const std::string& peer) {
  for (const auto& member : node.members())
    if (member.node_id == peer && member.state == member_state::alive)
      return true;
  return false;
}

} // namespace

BOOST_AUTO_TEST_CASE(payload_of_64_mib_keeps_heartbeats_flowing) {
  std::mutex mutex;
  std::vector<member_event> down_events;
  std::atomic<std::size_t> received_bytes{0};
  std::atomic<bool> received{false};

  cluster_node n1;
  cluster_node n2;
  n2.on_payload(payload_kind, payload_kind, [&](const inbound_frame& frame) {
    received_bytes = frame.body.size();
    received = true;
  });
  for (auto* node : {&n1, &n2})
    node->add_member_listener([&](const member_event& event) {
      if (event.kind == member_event_kind::up)
        return;
      std::lock_guard<std::mutex> guard{mutex};
      down_events.push_back(event);
    });

  auto n1_config = config_for("n1");
  auto error = n1.start(n1_config);
  BOOST_TEST_REQUIRE(!error, (error ? to_string(*error) : ""));
  error = n2.start(config_for("n2", {n1.listen_address()}));
  BOOST_TEST_REQUIRE(!error, (error ? to_string(*error) : ""));
  auto deadline = clock_type::now() + std::chrono::seconds{10};
  while (!(sees_alive(n1, "n2") && sees_alive(n2, "n1"))
         && clock_type::now() < deadline)
    std::this_thread::sleep_for(milliseconds{10});
  BOOST_TEST_REQUIRE(sees_alive(n1, "n2"));
  BOOST_TEST_REQUIRE(sees_alive(n2, "n1"));
  // Heartbeat acks set the RTT; wait for a few so the watch starts from
  // a steady state.
  std::this_thread::sleep_for(milliseconds{300});

  peer_watch n1_sees_n2{"n2"};
  peer_watch n2_sees_n1{"n1"};
  auto start = clock_type::now();
  n1_sees_n2.poll(n1, start);
  n2_sees_n1.poll(n2, start);

  std::string body(payload_bytes, '\0');
  for (std::size_t i = 0; i < body.size(); i += 4096)
    body[i] = static_cast<char>(i / 4096);
  error = n1.send("n2", lane::bulk, payload_kind, std::move(body));
  BOOST_TEST_REQUIRE(!error, (error ? to_string(*error) : ""));

  // Poll through the transfer and one second after it, so that a delay
  // the transfer caused still shows in the gaps.
  auto transfer_deadline = start + std::chrono::seconds{60};
  std::optional<clock_type::time_point> arrival;
  while (true) {
    auto now = clock_type::now();
    n1_sees_n2.poll(n1, now);
    n2_sees_n1.poll(n2, now);
    if (!arrival && received)
      arrival = now;
    if (arrival && now - *arrival > std::chrono::seconds{1})
      break;
    if (now > transfer_deadline)
      break;
    std::this_thread::sleep_for(milliseconds{5});
  }

  BOOST_TEST_REQUIRE(arrival.has_value(), "64 MiB payload not received "
                                          "within 60 s");
  BOOST_TEST(received_bytes.load() == payload_bytes);
  auto transfer_ms
    = std::chrono::duration_cast<milliseconds>(*arrival - start).count();
  std::cout << "64 MiB transfer: " << transfer_ms
            << " ms; max heartbeat gap n1->n2 " << n2_sees_n1.max_gap.count()
            << " ms, n2->n1 " << n1_sees_n2.max_gap.count()
            << " ms; max heartbeat RTT seen by n1 " << n1_sees_n2.max_rtt_us
            << " us, by n2 " << n2_sees_n1.max_rtt_us << " us\n";

  {
    std::lock_guard<std::mutex> guard{mutex};
    BOOST_TEST(down_events.empty());
  }
  BOOST_TEST(!n1_sees_n2.left_alive);
  BOOST_TEST(!n2_sees_n1.left_alive);
  // A gap as long as `suspect_after` makes the peer suspect, the first
  // step to a false node-down. Gaps of 104 to 246 ms (heartbeats every
  // 100 ms) were measured at a load average of 8 on 2 cores.
  auto gap_bound = n1_config.membership.suspect_after;
  BOOST_TEST(n2_sees_n1.max_gap.count() < gap_bound.count());
  BOOST_TEST(n1_sees_n2.max_gap.count() < gap_bound.count());
  auto rtt_bound_us = std::chrono::duration_cast<std::chrono::microseconds>(
                        gap_bound)
                        .count();
  BOOST_TEST(n1_sees_n2.max_rtt_us < rtt_bound_us);
  BOOST_TEST(n2_sees_n1.max_rtt_us < rtt_bound_us);
}
