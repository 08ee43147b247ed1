// The Remote backend from C++: a node in the test process, joined to a
// `corral node` process, spawns there with node::spawn and exchanges
// requests both ways. Also measures the request round trip on loopback,
// and checks what only the node in the test process shows: how long a
// target keeps a request, why a cast was dropped, and a spawn at once
// after a join.

#include <algorithm>
#include <csignal>
#include <future>
#include <iostream>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "examples/native/example_agents.hpp"
#include "local_member.hpp"
#include "remote_cluster.hpp"

using namespace corral;
using namespace corral::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

BOOST_AUTO_TEST_CASE(node_spawn_with_remote_backend) {
  auto n2 = start_cluster_member("n2");
  member_view v2{*n2};
  local_member local{v2.address()};
  bool joined = poll_until(seconds{10}, [&] {
    return !local.service->check_target("n2") && v2.state_of("local") == "alive";
  });
  BOOST_TEST_REQUIRE(joined, "n2 sees local as " << v2.state_of("local"));

  spawn_request request;
  request.agent_id = "cpp-worker";
  request.backend = remote_backend{"n2", native_backend{}, {}};
  auto spawned = local.instance->spawn(request);
  BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
  BOOST_TEST(spawned->global.node == "n2");
  auto proxy = std::to_string(spawned->pid);
  auto info = local.instance->inspect(proxy);
  BOOST_TEST_REQUIRE(static_cast<bool>(info));
  BOOST_TEST(info->backend == "Remote");
  BOOST_TEST(info->node == "n2");

  auto reply = local.instance->request(proxy, "echo", "from C++", seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), error_text(reply));
  BOOST_TEST(reply->payload == "from C++");
  BOOST_TEST(std::string{to_string(reply->kind)} == "reply");

  // The other way: n2's CLI reaches an agent of this process by global pid.
  spawn_request home;
  home.agent_id = "home";
  auto local_agent = local.instance->spawn(home);
  BOOST_TEST_REQUIRE(static_cast<bool>(local_agent));
  auto back = n2->corral({"send", to_string(local_agent->global), "echo",
                          "to C++"});
  BOOST_TEST(back.exit_code == 0, summary(back));
  BOOST_TEST(back.out == "to C++\n");
}

BOOST_AUTO_TEST_CASE(remote_request_round_trip_time) {
  auto n2 = start_cluster_member("n2");
  member_view v2{*n2};
  local_member local{v2.address()};
  auto spawned = local.spawn_proxy_on("n2", "rtt");
  BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
  auto target = std::to_string(spawned->pid);

  constexpr int rounds = 500;
  std::vector<double> micros;
  for (int i = 0; i < rounds; ++i) {
    auto start = clock_type::now();
    auto reply = local.instance->request(target, "echo", "x", seconds{5});
    auto elapsed = clock_type::now() - start;
    BOOST_TEST_REQUIRE(static_cast<bool>(reply), error_text(reply));
    micros.push_back(
      std::chrono::duration<double, std::micro>(elapsed).count());
  }
  std::sort(micros.begin(), micros.end());
  std::cout << "remote request-reply through a proxy on loopback, " << rounds
            << " sequential requests: p50 " << micros[rounds / 2]
            << " us, p99 " << micros[rounds * 99 / 100] << " us\n";
  BOOST_TEST(micros[rounds / 2] < 50'000.0);
}

BOOST_AUTO_TEST_CASE(unreachable_node_fails_pending_spawn_cleanly) {
  auto n2 = start_cluster_member("n2");
  member_view v2{*n2};
  local_member local{v2.address()};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return !local.service->check_target("n2");
  }));
  n2->process().terminate(seconds{5});
  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    return static_cast<bool>(local.service->check_target("n2"));
  }));

  spawn_request request;
  request.agent_id = "late";
  request.backend = remote_backend{"n2", native_backend{}, {}};
  auto spawned = local.instance->spawn(request);
  BOOST_TEST_REQUIRE(!spawned);
  auto failed = to_failure(spawned.error());
  BOOST_TEST(std::string{to_string(failed.code)} == "node_unreachable",
             failed.detail);
  BOOST_TEST(failed.detail.find("node n2 is left") != std::string::npos,
             failed.detail);
  auto live = local.instance->list();
  BOOST_TEST_REQUIRE(static_cast<bool>(live));
  BOOST_TEST(live->empty());
}

BOOST_AUTO_TEST_CASE(target_frees_request_at_requester_deadline) {
  auto n2 = start_cluster_member("n2");
  member_view v2{*n2};
  local_member target{v2.address(), "t1"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return !target.service->check_target("n2") && v2.state_of("t1") == "alive";
  }));
  auto spawn = n2->corral({"spawn", "--id", "sleeper", "--type", probe_type,
                           "--on", "t1", "--json"});
  BOOST_TEST_REQUIRE(spawn.exit_code == 0, summary(spawn));
  auto spawned = parse_stdout(spawn);
  auto through_proxy = std::to_string(spawned["pid"].get<int>());
  auto by_global_pid = spawned["global"].get<std::string>();

  for (const auto& address : {through_proxy, by_global_pid}) {
    // The probe never replies to "hang"; the requester waits 1 s.
    auto sent = std::async(std::launch::async, [&] {
      return n2->corral({"send", "--timeout", "1000", address, "hang", "x"});
    });
    bool held = poll_until(seconds{5}, [&] {
      return target.service->requests_serving() == 1;
    });
    auto result = sent.get();
    auto returned_at = clock_type::now();
    BOOST_TEST(held, "the request to " << address << " never reached t1");
    BOOST_TEST(result.exit_code != 0, summary(result));
    BOOST_TEST(result.err.find("timeout") != std::string::npos, result.err);
    // t1 ends its wait at the requester's deadline, not after the
    // gateway's own 60 s bound.
    bool freed = poll_until(seconds{3}, [&] {
      return target.service->requests_serving() == 0;
    });
    BOOST_TEST(freed, "t1 still holds the request to " << address);
    std::cout << "request to " << address << " with a 1000 ms timeout: t1 "
              << "freed it " << as_milliseconds(clock_type::now() - returned_at)
              << " ms after the requester gave up\n";
  }
}

BOOST_AUTO_TEST_CASE(agent_request_deadline_reaches_target) {
  auto n2 = start_cluster_member("n2");
  member_view v2{*n2};
  local_member target{v2.address(), "t1"};
  local_member requester{v2.address(), "r1"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return !requester.service->check_target("t1")
           && !target.service->check_target("r1");
  }));
  spawn_request sleeper;
  sleeper.agent_id = "sleeper";
  sleeper.agent_type = probe_type;
  auto slept = target.instance->spawn(sleeper);
  BOOST_TEST_REQUIRE(static_cast<bool>(slept), error_text(slept));
  spawn_request asker;
  asker.agent_id = "asker";
  asker.agent_type = probe_type;
  auto asked = requester.instance->spawn(asker);
  BOOST_TEST_REQUIRE(static_cast<bool>(asked), error_text(asked));

  // The asker's own request (agent_context::request) waits 500 ms for an
  // agent of t1 that never replies.
  nlohmann::json command{{"to", to_string(slept->global)},
                         {"topic", "hang"},
                         {"payload", "x"},
                         {"timeout_ms", 500u}};
  auto sent = std::async(std::launch::async, [&] {
    return requester.instance->request(std::to_string(asked->pid), "request",
                                       command.dump(), seconds{5});
  });
  bool held = poll_until(seconds{5}, [&] {
    return target.service->requests_serving() == 1;
  });
  auto result = sent.get();
  BOOST_TEST(held, "the asker's request never reached t1");
  BOOST_TEST_REQUIRE(static_cast<bool>(result), error_text(result));
  BOOST_TEST(result->payload.find("timeout") != std::string::npos,
             result->payload);
  BOOST_TEST(poll_until(seconds{2}, [&] {
    return target.service->requests_serving() == 0;
  }));
  BOOST_TEST(poll_until(seconds{2}, [&] {
    return requester.service->requests_waiting() == 0;
  }));
}

BOOST_AUTO_TEST_CASE(cast_to_full_send_queue_is_mailbox_full) {
  auto n2 = start_cluster_member("n2");
  member_view v2{*n2};
  local_member local{v2.address(), "local", [](cluster_config& settings) {
                       settings.transport.max_queued_bytes_per_peer = 1 << 20;
                     }};
  auto spawned = local.spawn_proxy_on("n2", "sink");
  BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
  auto proxy = std::to_string(spawned->pid);

  // A frozen n2 reads nothing, so the queue to it fills. n2 is declared
  // down only after 1 s of silence, long after the casts below.
  auto n2_pid = n2->process().pid();
  continue_at_exit resume{n2_pid};
  BOOST_TEST_REQUIRE(freeze(n2_pid),
                     "node process " << n2_pid << " did not stop");
  std::string payload(64 * 1024, 'x');
  std::vector<dead_letter> letters;
  for (int round = 0; round < 60 && letters.empty(); ++round) {
    for (int i = 0; i < 32; ++i)
      BOOST_TEST_REQUIRE(!local.instance->send(proxy, "note", payload));
    poll_until(milliseconds{20}, [&] {
      letters = local.instance->dead_letters();
      return !letters.empty();
    });
  }
  BOOST_TEST_REQUIRE(!letters.empty(),
                     "no cast was dropped after 60 rounds of 32 x 64 KiB");
  BOOST_TEST(std::string{to_string(letters.front().reason)} == "mailbox_full");
  BOOST_TEST(letters.front().message.topic == "note");
  BOOST_TEST(letters.front().target == spawned->global.node + ":"
                                         + std::to_string(spawned->global.pid));
}

BOOST_AUTO_TEST_CASE(spawn_right_after_join_reaches_target) {
  // The spawner's timer sends its hello to a new member. With a timer
  // round of 250 ms, that hello leaves up to 250 ms after the spawn below,
  // which goes out as soon as the bulk connection is up.
  local_member spawner{"", "s1", [](cluster_config& settings) {
                         settings.transport.tick_interval = milliseconds{250};
                       }};
  auto n2 = start_cluster_member("n2", {spawner.cluster.listen_address()});
  // Spawn as soon as n2 is alive here, before n2 has heard from this node.
  auto deadline = clock_type::now() + seconds{10};
  while (spawner.service->check_target("n2") && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds{200});
  BOOST_TEST_REQUIRE(!spawner.service->check_target("n2"));

  spawn_request request;
  request.agent_id = "early";
  request.backend = remote_backend{"n2", native_backend{}, {}};
  auto start = clock_type::now();
  auto spawned = spawner.instance->spawn(request);
  auto spawn_ms = as_milliseconds(clock_type::now() - start);
  BOOST_TEST_REQUIRE(static_cast<bool>(spawned), error_text(spawned));
  BOOST_TEST(spawned->global.node == "n2");
  // Well below the 10 s spawn timeout: the target held the spawn only
  // until it knew this node.
  BOOST_TEST(spawn_ms < 3000, spawn_ms << " ms");
  auto reply = spawner.instance->request(std::to_string(spawned->pid), "echo",
                                         "early", seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), error_text(reply));
  BOOST_TEST(reply->payload == "early");
  std::cout << "spawn at once after n2 joined took " << spawn_ms << " ms\n";
}
