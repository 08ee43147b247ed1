// The direct path of the Remote backend: the I/O thread delivers small
// messages straight to the target agent and replies straight to the
// waiting requester, without the gateway actor. These tests check that
// replies, errors, dead letters, node failures and message order are what
// they are through the gateway.

#include <csignal>
#include <future>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "local_member.hpp"
#include "remote_cluster.hpp"

using namespace corral;
using namespace corral::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

/// Two members that spawn probes on b through proxies on a.
struct direct_pair : member_pair {
  /// Spawns a probe named `agent_id` on b through a proxy on a and
  /// returns the proxy's spawn result.
  spawn_result spawn_probe_on_b(const std::string& agent_id) {
    spawn_request request;
    request.agent_id = agent_id;
    request.agent_type = probe_type;
    request.backend = remote_backend{"b", native_backend{}, {}};
    auto spawned = a.instance->spawn(request);
    BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
    return *spawned;
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(direct_reply_reaches_requester) {
  direct_pair pair;
  auto proxy = std::to_string(pair.spawn_probe_on_b("direct-echo").pid);
  // The spawn and its reply passed both gateways, which count a payload
  // as handled only after handling it, so after the spawn returned.
  BOOST_TEST_REQUIRE(poll_until(seconds{2}, [&] {
    return pair.a.service->payloads_in_gateway() == 0
           && pair.b->service->payloads_in_gateway() == 0;
  }));
  auto a_before = pair.a.service->direct_deliveries();
  auto b_before = pair.b->service->direct_deliveries();

  auto reply = pair.a.instance->request(proxy, "any-topic", "x", seconds{5});

  BOOST_TEST_REQUIRE(static_cast<bool>(reply), error_text(reply));
  BOOST_TEST(reply->payload == "ack");
  BOOST_TEST(std::string{to_string(reply->kind)} == "reply");
  // b's I/O thread delivered the request, and a's the reply. Each counts
  // a delivery after making it, so the requester may wake first.
  BOOST_TEST(poll_until(seconds{2}, [&] {
    return pair.b->service->direct_deliveries() > b_before;
  }));
  BOOST_TEST(poll_until(seconds{2}, [&] {
    return pair.a.service->direct_deliveries() > a_before;
  }));
  BOOST_TEST(pair.a.service->requests_waiting() == 0u);
  BOOST_TEST(poll_until(seconds{2}, [&] {
    return pair.b->service->requests_serving() == 0;
  }));
}

BOOST_AUTO_TEST_CASE(unknown_remote_pid_gets_error_and_dead_letter) {
  direct_pair pair;
  pair.spawn_probe_on_b("known");
  const std::string target = "b:999999";

  auto reply = pair.a.instance->request(target, "any-topic", "x", seconds{5});

  BOOST_TEST_REQUIRE(!reply);
  auto failed = to_failure(reply.error());
  BOOST_TEST(std::string{to_string(failed.code)} == "process_not_found",
             failed.detail);
  BOOST_TEST(failed.detail.find("no live agent b:999999 on node b")
               != std::string::npos,
             failed.detail);
  std::vector<dead_letter> letters;
  BOOST_TEST(poll_until(seconds{2}, [&] {
    letters = pair.b->instance->dead_letters();
    return !letters.empty();
  }));
  BOOST_TEST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(std::string{to_string(letters.front().reason)}
             == "unknown_target");
  BOOST_TEST(letters.front().target == target);
  BOOST_TEST(pair.a.service->requests_waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(direct_order_kept_for_one_sender) {
  direct_pair pair;
  auto proxy = std::to_string(pair.spawn_probe_on_b("ordered").pid);
  constexpr std::size_t count = 1000;
  // Message 500 is too large for the direct path and takes the gateway:
  // the messages after it must still arrive after it.
  constexpr std::size_t large = 500;
  for (std::size_t i = 0; i < count; ++i) {
    auto payload = std::to_string(i) + " ";
    if (i == large)
      payload += std::string(128 * 1024, 'x');
    if (i % 100 == 99) {
      auto reply = pair.a.instance->request(proxy, "ask", payload, seconds{5});
      BOOST_TEST_REQUIRE(static_cast<bool>(reply), error_text(reply));
      continue;
    }
    BOOST_TEST_REQUIRE(!pair.a.instance->send(proxy, "note", payload));
  }

  auto order = arrived_indexes("ordered", count);
  BOOST_TEST_REQUIRE(order.size() == count);
  for (std::size_t i = 0; i < count; ++i)
    BOOST_TEST_REQUIRE(order[i] == i, "message " << i << " arrived as "
                                                 << order[i]);
  BOOST_TEST(pair.b->service->direct_deliveries() > 0u);
}

BOOST_AUTO_TEST_CASE(node_down_fails_pending_direct_requests) {
  auto n2 = start_cluster_member("n2");
  member_view v2{*n2};
  local_member local{v2.address()};
  auto spawned = local.spawn_proxy_on("n2", "frozen");
  BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
  auto proxy = std::to_string(spawned->pid);
  auto warm = local.instance->request(proxy, "echo", "warm", seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(warm), error_text(warm));

  // A frozen n2 never replies, and is declared down after about 1 s of
  // silence, well before the requests' 20 s timeout.
  auto n2_pid = n2->process().pid();
  continue_at_exit resume{n2_pid};
  BOOST_TEST_REQUIRE(freeze(n2_pid),
                     "node process " << n2_pid << " did not stop");
  auto start = clock_type::now();
  std::vector<std::future<caf::expected<message>>> pending;
  for (int i = 0; i < 3; ++i)
    pending.push_back(std::async(std::launch::async, [&] {
      return local.instance->request(proxy, "echo", "lost", seconds{20});
    }));
  BOOST_TEST(poll_until(seconds{5}, [&] {
    return local.service->requests_waiting() == 3;
  }));

  for (auto& result : pending) {
    auto reply = result.get();
    BOOST_TEST_REQUIRE(!reply);
    auto failed = to_failure(reply.error());
    BOOST_TEST(std::string{to_string(failed.code)} == "node_unreachable",
               failed.detail);
    BOOST_TEST(failed.detail.find("node n2 is down") != std::string::npos,
               failed.detail);
  }
  BOOST_TEST(as_milliseconds(clock_type::now() - start) < 10'000);
  BOOST_TEST(local.service->requests_waiting() == 0u);
}
