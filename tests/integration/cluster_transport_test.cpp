// Two cluster nodes in one process over loopback TCP: payloads on both
// lanes, chunking, batching, send errors, unhandled kinds, member events,
// and bad batch frames from a raw ZeroMQ socket.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <zmq.hpp>

#include "net/cluster_node.hpp"
#include "serialization/frame_batch.hpp"

using namespace corral;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace corral {

inline std::ostream& boost_test_print_type(std::ostream& out, errc code) {
  return out << to_string(code);
}

} // namespace corral

namespace {

/// Frames that a payload handler received, with a bounded wait.
struct inbox {
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<inbound_frame> frames;

  payload_handler handler() {
    return [this](const inbound_frame& frame) {
      std::lock_guard<std::mutex> guard{mutex};
      frames.push_back(frame);
      changed.notify_all();
    };
  }

  bool wait_for(std::size_t count, milliseconds timeout) {
    std::unique_lock<std::mutex> lock{mutex};
    return changed.wait_for(lock, timeout,
                            [&] { return frames.size() >= count; });
  }
};

/// Bytes that may wait for one peer in these tests: 3.5 MiB.
constexpr std::size_t queue_limit = 7 * 512 * 1024;

cluster_config config_for(const std::string& id,
                          std::vector<std::string> seeds = {}) {
  cluster_config config;
  config.node_id = id;
  config.listen_address = "tcp://127.0.0.1:0";
  config.seeds = std::move(seeds);
  config.transport.max_message_bytes = 4 * 1024 * 1024;
  config.transport.max_queued_bytes_per_peer = queue_limit;
  return config;
}

/// Waits up to 10 s until `node` sees `peer` in `state`.
bool wait_for_state(const cluster_node& node, const std::string& peer,
                    member_state state) {
  auto deadline = std::chrono::steady_clock::now() + seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    for (const auto& member : node.members())
      if (member.node_id == peer && member.state == state)
        return true;
    std::this_thread::sleep_for(milliseconds{10});
  }
  return false;
}

/// Two started nodes that see each other alive; n2 joined through n1.
struct pair_fixture {
  inbox received;
  cluster_node n1;
  cluster_node n2;

  pair_fixture() {
    n2.on_payload(first_payload_kind, 40, received.handler());
    auto error = n1.start(config_for("n1"));
    BOOST_TEST_REQUIRE(!error, (error ? to_string(*error) : ""));
    error = n2.start(config_for("n2", {n1.listen_address()}));
    BOOST_TEST_REQUIRE(!error, (error ? to_string(*error) : ""));
    BOOST_TEST_REQUIRE(wait_for_state(n1, "n2", member_state::alive));
    BOOST_TEST_REQUIRE(wait_for_state(n2, "n1", member_state::alive));
  }
};

std::uint64_t dropped(const cluster_node& node, const char* reason) {
  return node.stats()["transport"]["dropped"][reason].get<std::uint64_t>();
}

std::uint64_t transport_counter(const cluster_node& node, const char* name) {
  return node.stats()["transport"][name].get<std::uint64_t>();
}

/// Sends a frame on the bulk lane from a raw DEALER named `raw/bulk`, as
/// another implementation of the protocol would.
void send_raw_frame(zmq::socket_t& socket, frame_kind kind,
                    std::uint64_t message_id, std::uint32_t chunk_count,
                    const std::string& body) {
  frame_header header;
  header.kind = static_cast<std::uint8_t>(kind);
  header.lane = static_cast<std::uint8_t>(lane::bulk);
  header.message_id = message_id;
  header.chunk_count = chunk_count;
  header.body_size = static_cast<std::uint32_t>(body.size());
  socket.send(zmq::buffer(encode_frame_header(header)),
              zmq::send_flags::sndmore);
  socket.send(zmq::buffer(body), zmq::send_flags::none);
}

std::string two_entry_batch() {
  std::string body;
  begin_batch(body);
  append_batch_entry(body, 34, "first", 5);
  append_batch_entry(body, 35, "second", 6);
  return body;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(cluster_transport_pair, pair_fixture)

BOOST_AUTO_TEST_CASE(listen_port_zero_is_replaced) {
  auto address = n1.listen_address();
  BOOST_TEST(address.rfind("tcp://127.0.0.1:", 0) == 0u, address);
  BOOST_TEST(address.find(":0") == std::string::npos, address);
}

BOOST_AUTO_TEST_CASE(payload_reaches_handler_on_both_lanes) {
  BOOST_TEST_REQUIRE(!n1.send("n2", lane::bulk, 34, "on bulk"));
  BOOST_TEST_REQUIRE(!n1.send("n2", lane::control, 35, "on control"));
  BOOST_TEST_REQUIRE(received.wait_for(2, seconds{5}));
  std::lock_guard<std::mutex> guard{received.mutex};
  // The lanes are separate connections, so the two may arrive in either
  // order.
  auto& frames = received.frames;
  if (frames[0].lane == lane::control)
    std::swap(frames[0], frames[1]);
  BOOST_TEST(frames[0].sender == "n1");
  BOOST_TEST(frames[0].kind == 34);
  BOOST_TEST(frames[0].body == "on bulk");
  BOOST_TEST((frames[0].lane == lane::bulk));
  BOOST_TEST(frames[1].kind == 35);
  BOOST_TEST(frames[1].body == "on control");
  BOOST_TEST((frames[1].lane == lane::control));
}

BOOST_AUTO_TEST_CASE(large_payload_is_chunked_and_joined) {
  std::string body(3 * 1024 * 1024 + 17, '\0');
  std::mt19937 random{7};
  for (auto& c : body)
    c = static_cast<char>(random());
  BOOST_TEST_REQUIRE(!n1.send("n2", lane::bulk, 34, body));
  BOOST_TEST_REQUIRE(received.wait_for(1, seconds{10}));
  {
    std::lock_guard<std::mutex> guard{received.mutex};
    BOOST_TEST(received.frames[0].body.size() == body.size());
    BOOST_TEST((received.frames[0].body == body));
  }
  auto stats = n2.stats()["transport"];
  BOOST_TEST(stats["messages_reassembled"].get<int>() == 1);
  // 3 MiB + 17 bytes in 256 KiB chunks.
  BOOST_TEST(stats["frames_received"]["bulk"].get<int>() == 13);
}

BOOST_AUTO_TEST_CASE(burst_is_batched_in_order) {
  // A burst queues up faster than the I/O thread sends, so it goes out in
  // batch frames. A large message in the middle closes the batch before
  // it, and the order stays that of the sends.
  constexpr int burst = 5000;
  constexpr int large_at = 2500;
  const std::string large(300 * 1024, 'L');
  for (int i = 0; i < burst; ++i) {
    auto kind = static_cast<std::uint8_t>(i % 2 == 0 ? 34 : 35);
    auto body = i == large_at ? large : std::to_string(i);
    BOOST_TEST_REQUIRE(!n1.send("n2", lane::bulk, kind, body), "message " << i);
  }
  BOOST_TEST_REQUIRE(received.wait_for(burst, seconds{20}));

  std::lock_guard<std::mutex> guard{received.mutex};
  BOOST_TEST_REQUIRE(received.frames.size() == std::size_t{burst});
  int out_of_order = 0;
  for (int i = 0; i < burst; ++i) {
    const auto& frame = received.frames[static_cast<std::size_t>(i)];
    auto expected = i == large_at ? large : std::to_string(i);
    if (frame.body != expected || frame.kind != (i % 2 == 0 ? 34 : 35))
      ++out_of_order;
    if (i > 0)
      BOOST_TEST(frame.message_id
                   > received.frames[static_cast<std::size_t>(i - 1)]
                       .message_id,
                 "message " << i);
  }
  BOOST_TEST(out_of_order == 0);
  auto batches = transport_counter(n1, "batches_sent");
  BOOST_TEST(batches >= 1u);
  BOOST_TEST(transport_counter(n1, "messages_batched") > batches);
  // n1 counts a batch just after ZeroMQ took it, so n2 may have counted
  // one more already; the two are not compared.
  BOOST_TEST(transport_counter(n2, "batches_received") >= 1u);
}

BOOST_AUTO_TEST_CASE(lone_message_goes_unbatched) {
  BOOST_TEST_REQUIRE(!n1.send("n2", lane::bulk, 34, "alone"));
  BOOST_TEST_REQUIRE(received.wait_for(1, seconds{5}));
  BOOST_TEST(transport_counter(n1, "batches_sent") == 0u);
  BOOST_TEST(transport_counter(n2, "batches_received") == 0u);
}

BOOST_AUTO_TEST_CASE(bad_batches_are_dropped_and_counted) {
  zmq::context_t context{1};
  zmq::socket_t raw{context, zmq::socket_type::dealer};
  raw.set(zmq::sockopt::routing_id, "raw/bulk");
  raw.set(zmq::sockopt::linger, 0);
  raw.connect(n2.listen_address());

  auto valid = two_entry_batch();
  auto truncated = valid.substr(0, valid.size() - 1);
  auto count_too_low = valid;
  count_too_low[0] = 1;
  auto count_too_high = valid;
  count_too_high[0] = 3;
  auto oversized = valid;
  oversized[3] = 0x7f; // an entry count far above max_batch_entries
  send_raw_frame(raw, frame_kind::batch, 1, 1, truncated);
  send_raw_frame(raw, frame_kind::batch, 2, 1, count_too_low);
  send_raw_frame(raw, frame_kind::batch, 3, 1, count_too_high);
  send_raw_frame(raw, frame_kind::batch, 4, 1, oversized);
  send_raw_frame(raw, frame_kind::batch, 5, 2, valid); // chunked
  // A valid batch after the bad ones is still delivered, entry by entry.
  send_raw_frame(raw, frame_kind::batch, 100, 1, valid);

  BOOST_TEST_REQUIRE(received.wait_for(2, seconds{10}));
  BOOST_TEST(dropped(n2, "invalid_batch") == 5u);
  std::lock_guard<std::mutex> guard{received.mutex};
  BOOST_TEST_REQUIRE(received.frames.size() == 2u);
  BOOST_TEST(received.frames[0].sender == "raw");
  BOOST_TEST(received.frames[0].kind == 34);
  BOOST_TEST(received.frames[0].body == "first");
  BOOST_TEST(received.frames[0].message_id == 100u);
  BOOST_TEST(received.frames[1].kind == 35);
  BOOST_TEST(received.frames[1].body == "second");
  BOOST_TEST(received.frames[1].message_id == 101u);
}

BOOST_AUTO_TEST_CASE(send_errors_are_immediate) {
  auto unknown = n1.send("n9", lane::bulk, 34, "x");
  BOOST_TEST_REQUIRE(static_cast<bool>(unknown));
  BOOST_TEST(unknown->code == errc::node_unreachable);
  BOOST_TEST(unknown->detail.find("n9") != std::string::npos, unknown->detail);

  auto membership_kind = n1.send("n2", lane::bulk, 2, "x");
  BOOST_TEST_REQUIRE(static_cast<bool>(membership_kind));
  BOOST_TEST(membership_kind->code == errc::invalid_request);

  auto too_large = n1.send("n2", lane::bulk, 34,
                           std::string(5 * 1024 * 1024, 'x'));
  BOOST_TEST_REQUIRE(static_cast<bool>(too_large));
  BOOST_TEST(too_large->code == errc::invalid_request);

  // Over the per-peer queue limit, but within the message limit.
  auto queue_full = n1.send("n2", lane::bulk, 34,
                            std::string(queue_limit + 1, 'x'));
  BOOST_TEST_REQUIRE(static_cast<bool>(queue_full));
  BOOST_TEST(queue_full->code == errc::resource_limit_exceeded);
  BOOST_TEST(n1.stats()["transport"]["send_queue_full"].get<int>() == 1);
}

BOOST_AUTO_TEST_CASE(unhandled_kind_is_dropped_and_counted) {
  BOOST_TEST_REQUIRE(!n1.send("n2", lane::bulk, 99, "nobody listens"));
  BOOST_TEST_REQUIRE(!n1.send("n2", lane::bulk, 34, "after it"));
  BOOST_TEST_REQUIRE(received.wait_for(1, seconds{5}));
  BOOST_TEST(dropped(n2, "unhandled_kind") == 1u);
}

BOOST_AUTO_TEST_CASE(members_report_heartbeat_details) {
  // Heartbeats every 100 ms: after 300 ms acks have set the RTT.
  std::this_thread::sleep_for(milliseconds{300});
  auto members = n1.members();
  BOOST_TEST_REQUIRE(members.size() == 2u);
  BOOST_TEST(members[0].self);
  BOOST_TEST(members[1].node_id == "n2");
  BOOST_TEST(members[1].address == n2.listen_address());
  BOOST_TEST(members[1].rtt_us.has_value());
  BOOST_TEST(members[1].last_heard_ms.has_value());
  BOOST_TEST(*members[1].last_heard_ms < 1000);
}

BOOST_AUTO_TEST_CASE(stop_tells_peer_that_node_left) {
  std::mutex mutex;
  std::vector<member_event> events;
  n2.add_member_listener([&](const member_event& event) {
    std::lock_guard<std::mutex> guard{mutex};
    events.push_back(event);
  });
  n1.stop();
  BOOST_TEST_REQUIRE(wait_for_state(n2, "n1", member_state::left));

  // Listeners get an event just after the state changed, so the `left`
  // event may still be on its way, and the `up` event of the join, which
  // the fixture saw as a state, may reach this listener too.
  std::vector<member_event> not_up;
  auto deadline = std::chrono::steady_clock::now() + seconds{5};
  while (not_up.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds{10});
    std::lock_guard<std::mutex> guard{mutex};
    for (const auto& event : events)
      if (event.kind != member_event_kind::up)
        not_up.push_back(event);
  }
  BOOST_TEST_REQUIRE(not_up.size() == 1u);
  BOOST_TEST((not_up[0].kind == member_event_kind::left));
  BOOST_TEST(not_up[0].member.node_id == "n1");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(cluster_transport_start)

BOOST_AUTO_TEST_CASE(invalid_settings_are_rejected) {
  cluster_node node;
  auto config = config_for("bad id");
  auto error = node.start(config);
  BOOST_TEST_REQUIRE(static_cast<bool>(error));
  BOOST_TEST(error->code == errc::invalid_request);

  cluster_node wildcard;
  config = config_for("n1");
  config.listen_address = "tcp://0.0.0.0:0";
  error = wildcard.start(config);
  BOOST_TEST_REQUIRE(static_cast<bool>(error));
  BOOST_TEST(error->detail.find("wildcard") != std::string::npos,
             error->detail);
}

BOOST_AUTO_TEST_CASE(address_in_use_is_named) {
  cluster_node first;
  BOOST_TEST_REQUIRE(!first.start(config_for("n1")));
  cluster_node second;
  auto config = config_for("n2");
  config.listen_address = first.listen_address();
  auto error = second.start(config);
  BOOST_TEST_REQUIRE(static_cast<bool>(error));
  BOOST_TEST(error->detail.find("in use") != std::string::npos,
             error->detail);
}

BOOST_AUTO_TEST_SUITE_END()
