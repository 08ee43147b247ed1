// Requests and replies as a hostile member could send them: requests
// with any `timeout_ms`, as many as it likes, to an agent that never
// replies, and replies to requests that went to another node. The serving
// node bounds both the time and the number of requests it keeps, and a
// requester takes a reply only from the node its request went to.

#include <chrono>
#include <cstdint>
#include <future>
#include <limits>
#include <string>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "local_member.hpp"
#include "remote_cluster.hpp"
#include "serialization/binary_forms.hpp"
#include "serialization/remote_bodies.hpp"
#include "serialization/wire_frame.hpp"

using namespace corral;
using namespace corral::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

/// Node a, and node b with the Remote settings `serving`, joined through
/// a, once they see each other alive.
struct serving_pair : member_pair {
  explicit serving_pair(const remote::remote_settings& serving)
    : member_pair(serving) {
  }

  /// Sends, from a's cluster as a member would, a request with `timeout_ms`
  /// to `target`'s "hang" topic, which the probe never replies to.
  void send_hanging_request(const global_pid& target, std::uint64_t id,
                            std::uint32_t timeout_ms) {
    remote_envelope envelope;
    envelope.request_id = id;
    envelope.timeout_ms = timeout_ms;
    envelope.msg.from = global_pid{"a", 1};
    envelope.msg.to = target;
    envelope.msg.topic = "hang";
    envelope.msg.correlation_id = id;
    envelope.msg.kind = message_kind::request;
    auto error = a.cluster.send("b", lane::bulk,
                                static_cast<std::uint8_t>(frame_kind::message),
                                to_binary(envelope));
    BOOST_TEST_REQUIRE(!error, error->detail);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(served_wait_capped_by_own_timeout) {
  remote::remote_settings serving;
  serving.request_timeout = milliseconds{1'000};
  serving_pair pair{serving};
  auto target = pair.spawn_on_b("never-replies");

  // About 49.7 days: a member's value that b must not trust.
  pair.send_hanging_request(target, 77,
                            std::numeric_limits<std::uint32_t>::max());

  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    return pair.b->service->requests_serving() == 1;
  }));
  auto start = clock_type::now();
  BOOST_TEST(poll_until(seconds{5}, [&] {
    return pair.b->service->requests_serving() == 0;
  }), "b still serves the request after its own 1 s request_timeout");
  BOOST_TEST(as_milliseconds(clock_type::now() - start) < 3'000);
}

BOOST_AUTO_TEST_CASE(served_requests_over_limit_fail_at_once) {
  remote::remote_settings serving;
  serving.max_served_requests = 3;
  serving.request_timeout = milliseconds{20'000};
  serving_pair pair{serving};
  auto target = pair.spawn_on_b("never-replies");
  spawn_request request;
  request.agent_id = "echo";
  request.backend = remote_backend{"b", native_backend{}, {}};
  auto echo = pair.a.instance->spawn(request);
  BOOST_TEST_REQUIRE(static_cast<bool>(echo), error_text(echo));
  auto proxy = std::to_string(echo->pid);

  for (std::uint64_t id = 1; id <= 5; ++id)
    pair.send_hanging_request(target, id, 20'000);
  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    return pair.b->service->requests_serving() == 3;
  }));

  // A full table fails a further request at once, naming the limit,
  // rather than letting it wait for its timeout.
  auto start = clock_type::now();
  auto reply = pair.a.instance->request(proxy, "echo", "x", seconds{10});
  BOOST_TEST_REQUIRE(!reply);
  auto failed = to_failure(reply.error());
  BOOST_TEST(std::string{to_string(failed.code)} == "resource_limit_exceeded",
             failed.detail);
  BOOST_TEST(failed.detail.find("max_served_requests") != std::string::npos,
             failed.detail);
  BOOST_TEST(as_milliseconds(clock_type::now() - start) < 5'000);
  BOOST_TEST(pair.b->service->requests_serving() == 3u);
}

BOOST_AUTO_TEST_CASE(reply_from_other_node_ignored) {
  remote::remote_settings defaults;
  serving_pair pair{defaults};
  local_member c{pair.a.cluster.listen_address(), "c"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return !c.service->check_target("a") && !pair.a.service->check_target("c");
  }));
  spawn_request request;
  request.agent_id = "silent";
  request.agent_type = probe_type;
  request.backend = remote_backend{"b", native_backend{}, {}};
  auto silent = pair.a.instance->spawn(request);
  BOOST_TEST_REQUIRE(static_cast<bool>(silent), error_text(silent));
  auto proxy = std::to_string(silent->pid);

  auto pending = std::async(std::launch::async, [&] {
    return pair.a.instance->request(proxy, "hang", "x", milliseconds{1'500});
  });
  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    return pair.a.service->requests_waiting() == 1;
  }));

  // a numbers its requests from 1, so c can guess the id. A forged reply
  // from c must still not end the request, because the request went to b.
  for (std::uint64_t id = 1; id <= 20; ++id) {
    remote_envelope forged;
    forged.request_id = id;
    forged.msg.from = silent->global;
    forged.msg.to = global_pid{"a", 1};
    forged.msg.topic = "hang";
    forged.msg.payload = "forged";
    forged.msg.kind = message_kind::reply;
    auto error = c.cluster.send("a", lane::bulk,
                                static_cast<std::uint8_t>(frame_kind::message),
                                to_binary(forged));
    BOOST_TEST_REQUIRE(!error, error->detail);
  }

  auto reply = pending.get();
  BOOST_TEST_REQUIRE(!reply, "the requester took "
                               << (reply ? reply->payload : std::string{})
                               << " from node c");
  auto failed = to_failure(reply.error());
  BOOST_TEST(std::string{to_string(failed.code)} == "timeout", failed.detail);
  // The requester's deadline and the table's timer end at about the same
  // time, and either may fire first.
  BOOST_TEST(poll_until(seconds{2}, [&] {
    return pair.a.service->requests_waiting() == 0;
  }));
}

BOOST_AUTO_TEST_CASE(detach_drops_served_requests) {
  remote::remote_settings serving;
  serving.request_timeout = milliseconds{20'000};
  serving_pair pair{serving};
  auto target = pair.spawn_on_b("never-replies");
  pair.send_hanging_request(target, 1, 20'000);
  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    return pair.b->service->requests_serving() == 1;
  }));

  // Without its gateway's timer, nothing would end the request until the
  // service is destroyed.
  pair.b->service->detach();

  BOOST_TEST(pair.b->service->requests_serving() == 0u);
}

// The I/O thread may read a request before the service detaches and add
// it afterwards. The closed table must reject it, because otherwise it
// stays until the service is destroyed.
BOOST_AUTO_TEST_CASE(served_table_closed_after_clear) {
  remote::served_requests table;
  auto deadline = remote::served_requests::clock::now() + seconds{5};
  BOOST_TEST(table.add({"a", 1, {}, deadline}).id != 0u);
  table.clear();
  BOOST_TEST(table.size() == 0u);

  BOOST_TEST(table.add({"a", 2, {}, deadline}).id == 0u);
  BOOST_TEST(table.size() == 0u);

  table.open();
  BOOST_TEST(table.add({"a", 3, {}, deadline}).id != 0u);
  BOOST_TEST(table.size() == 1u);
}
