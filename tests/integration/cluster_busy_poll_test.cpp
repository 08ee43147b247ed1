// The I/O thread's busy polling after payload traffic: it must find the
// replies of a ping-pong without blocking, be off at a window of 0, end
// when the traffic ends, and reject a negative window.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "net/cluster_node.hpp"

using namespace corral;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

constexpr std::uint8_t echo_kind = first_payload_kind;
constexpr int round_trips = 200;

cluster_config busy_poll_config(const std::string& id,
                                microseconds busy_poll) {
  cluster_config config;
  config.node_id = id;
  config.listen_address = "tcp://127.0.0.1:0";
  config.transport.busy_poll = busy_poll;
  return config;
}

bool sees_alive(const cluster_node& node, const std::string& peer) {
  for (const auto& member : node.members())
    if (member.node_id == peer && member.state == member_state::alive)
      return true;
  return false;
}

std::uint64_t busy_poll_hits(const cluster_node& node) {
  return node.stats()["transport"]["busy_poll_hits"].get<std::uint64_t>();
}

double process_cpu_seconds() {
  timespec time{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time);
  return static_cast<double>(time.tv_sec)
         + static_cast<double>(time.tv_nsec) / 1e9;
}

/// Node "client" sends to node "echo", which sends each payload back. One
/// message is in flight at a time, as in a request-reply exchange.
struct echo_pair {
  cluster_node client;
  cluster_node echo;
  std::mutex mutex;
  std::condition_variable replied;
  std::uint64_t replies = 0;

  explicit echo_pair(microseconds busy_poll) {
    echo.on_payload(echo_kind, echo_kind, [this](inbound_frame& frame) {
      (void) echo.send(frame.sender, lane::bulk, echo_kind,
                       std::move(frame.body));
    });
    client.on_payload(echo_kind, echo_kind, [this](inbound_frame&) {
      std::lock_guard<std::mutex> guard{mutex};
      ++replies;
      replied.notify_one();
    });
    auto error = client.start(busy_poll_config("client", busy_poll));
    BOOST_TEST_REQUIRE(!error, (error ? to_string(*error) : ""));
    auto echo_config = busy_poll_config("echo", busy_poll);
    echo_config.seeds = {client.listen_address()};
    error = echo.start(echo_config);
    BOOST_TEST_REQUIRE(!error, (error ? to_string(*error) : ""));

    auto deadline = std::chrono::steady_clock::now() + seconds{10};
    while (!(sees_alive(client, "echo") && sees_alive(echo, "client"))) {
      BOOST_TEST_REQUIRE((std::chrono::steady_clock::now() < deadline),
                         "the nodes did not see each other alive in 10 s");
      std::this_thread::sleep_for(milliseconds{5});
    }
  }

  /// Runs `count` round trips one after the other.
  void exchange(int count) {
    const std::string body(64, 'x');
    for (int i = 0; i < count; ++i) {
      // Counted before the send, because the echo may arrive before this
      // thread takes the lock.
      std::uint64_t expected = 0;
      {
        std::lock_guard<std::mutex> guard{mutex};
        expected = replies + 1;
      }
      BOOST_TEST_REQUIRE(!client.send("echo", lane::bulk, echo_kind, body));
      std::unique_lock<std::mutex> lock{mutex};
      BOOST_TEST_REQUIRE(replied.wait_for(lock, seconds{5},
                                          [&] { return replies == expected; }),
                         "no echo of round trip " << i << " within 5 s");
    }
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_busy_poll)

BOOST_AUTO_TEST_CASE(replies_find_io_thread_awake) {
  // A window of 50 ms outlasts a round trip even on a loaded machine.
  echo_pair nodes{milliseconds{50}};
  auto before = busy_poll_hits(nodes.client);
  nodes.exchange(round_trips);
  auto hits = busy_poll_hits(nodes.client) - before;
  BOOST_TEST_MESSAGE("busy-poll hits of the client in " << round_trips
                     << " round trips: " << hits);
  // Uncontended, every round trip has at least the echo to find (about
  // two hits per round trip at a load average of 8 on 2 cores). Under
  // heavy load, a long yield ends the window, so only some hits are
  // certain.
  BOOST_TEST(hits > 0u);
  BOOST_TEST(busy_poll_hits(nodes.echo) > 0u);
}

BOOST_AUTO_TEST_CASE(zero_window_turns_busy_polling_off) {
  echo_pair nodes{microseconds{0}};
  nodes.exchange(round_trips);
  BOOST_TEST(busy_poll_hits(nodes.client) == 0u);
  BOOST_TEST(busy_poll_hits(nodes.echo) == 0u);
}

BOOST_AUTO_TEST_CASE(negative_window_is_rejected) {
  cluster_node node;
  auto error = node.start(busy_poll_config("n1", microseconds{-1}));
  BOOST_TEST_REQUIRE(static_cast<bool>(error));
  BOOST_TEST((error->code == errc::invalid_request));
  BOOST_TEST(error->detail.find("busy_poll") != std::string::npos,
             error->detail);
}

BOOST_AUTO_TEST_CASE(busy_polling_ends_with_traffic) {
  echo_pair nodes{milliseconds{20}};
  nodes.exchange(round_trips);
  // Past the window, only heartbeats and the 10 ms timer run, which wake
  // the I/O threads without starting a window. A thread that kept polling
  // would use about a core for the whole second, so 0.25 s of CPU for the
  // process leaves ample room for the idle work.
  std::this_thread::sleep_for(milliseconds{50});
  auto start = process_cpu_seconds();
  std::this_thread::sleep_for(seconds{1});
  auto used = process_cpu_seconds() - start;
  BOOST_TEST(used < 0.25, "CPU time over 1 s of idleness: " << used << " s");
}

BOOST_AUTO_TEST_SUITE_END()
