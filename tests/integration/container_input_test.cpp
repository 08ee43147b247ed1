// Container agents fed bad input, from the program and from the spawn
// request: every case ends with a clear error and leaves no container.

#include <fstream>
#include <thread>

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/container/container_launcher.hpp"
#include "tests/harness/node_fixture.hpp"
#include "tests/integration/container_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

// The number of dead letters to `target` kept for `reason`.
std::size_t dead_letters_to(corral::node& node, const std::string& target,
                            dead_letter_reason reason) {
  std::size_t count = 0;
  for (const auto& letter : node.dead_letters())
    if (letter.target == target && letter.reason == reason)
      ++count;
  return count;
}

// The resident memory of this process, from /proc/self/statm.
std::size_t resident_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  std::size_t pages = 0;
  std::size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_SUITE(container_bad_input)

BOOST_AUTO_TEST_CASE(invalid_lines_are_skipped) {
  node_fixture fixture;
  fixture.spawn(container_request("bad-lines", "/bin/sh /agents/bad_lines.sh"));

  BOOST_TEST(ask_long(fixture.node(), "bad-lines", "echo", "x")
             == "survived");
  BOOST_TEST(fixture.state_of("bad-lines") == "running");
}

BOOST_AUTO_TEST_CASE(exit_before_ready_fails_spawn) {
  {
    node_fixture fixture;

    auto result = fixture.node().spawn(
      container_request("early", "/bin/sh /agents/early_exit.sh"));

    BOOST_REQUIRE(!result);
    BOOST_TEST(code_of(result.error()) == "spawn_failed");
    auto text = describe(result.error());
    BOOST_TEST(contains(text, "exited with code 3 before its ready line"),
               "error: " << text);
    BOOST_TEST(contains(text, "early exit on purpose"), "error: " << text);
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_CASE(agent_not_reading_stdin_rejects_messages) {
  {
    node_fixture fixture;
    auto started
      = fixture.spawn(container_request("deaf", "/bin/sh /agents/deaf.sh"));

    // 12 MiB of one-way messages, more than the pipe and the 8 MiB of
    // queued input together take.
    const std::string payload(256 << 10, 'x');
    for (int i = 0; i < 48; ++i)
      BOOST_TEST(!fixture.node().send("deaf", "note", payload));

    BOOST_TEST(wait_until(
      [&] {
        return dead_letters_to(fixture.node(), std::to_string(started.pid),
                               dead_letter_reason::mailbox_full)
               > 0;
      },
      hang_guard));
    auto reply = fixture.node().request("deaf", "echo", "x", hang_guard);
    BOOST_REQUIRE(!reply);
    BOOST_TEST(code_of(reply.error()) == "mailbox_full",
               "error: " << describe(reply.error()));

    auto reason = fixture.node().stop("deaf");
    BOOST_REQUIRE(reason);
    BOOST_TEST(fixture.state_of("deaf") != "running");
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_CASE(stdout_flood_does_not_fill_memory) {
  {
    node_fixture fixture;
    fixture.spawn("native-echo");
    fixture.spawn(container_request("flood", "/bin/sh /agents/flood.sh"));
    auto before = resident_bytes();

    // The agent prints lines for 2 s as fast as it can. Without
    // back-pressure the lines would pile up in the node's memory.
    std::this_thread::sleep_for(std::chrono::seconds{2});
    auto grown = resident_bytes() - std::min(before, resident_bytes());

    BOOST_TEST(grown < (256u << 20), "grew by " << (grown >> 20) << " MiB");
    BOOST_TEST(ask_long(fixture.node(), "native-echo", "echo", "still here")
               == "still here");
    BOOST_TEST(fixture.state_of("flood") == "running");
    auto reason = fixture.node().stop("flood");
    BOOST_REQUIRE(reason);
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_CASE(closed_stdout_times_out_requests) {
  {
    node_fixture fixture;
    fixture.spawn(
      container_request("mute", "/bin/sh /agents/closed_stdout.sh"));

    auto reply = fixture.node().request("mute", "echo", "x",
                                        std::chrono::milliseconds{1000});
    BOOST_REQUIRE(!reply);
    BOOST_TEST(code_of(reply.error()) == "timeout",
               "error: " << describe(reply.error()));

    auto reason = fixture.node().stop("mute");
    BOOST_REQUIRE(reason);
    BOOST_TEST(fixture.state_of("mute") != "running");
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_CASE(send_to_missing_agent_fails_clearly) {
  node_fixture fixture;
  fixture.spawn(container_request("sender", "/bin/sh /agents/sender.sh"));

  auto response = ask_long(fixture.node(), "sender", "probe", "nobody");

  BOOST_TEST(contains(response, "'error'"), "response: " << response);
  BOOST_TEST(contains(response, "process_not_found"),
             "response: " << response);
  BOOST_TEST(dead_letters_to(fixture.node(), "nobody",
                             dead_letter_reason::unknown_target)
             >= 1u);
  BOOST_TEST(fixture.state_of("sender") == "running");
}

BOOST_AUTO_TEST_CASE(send_outside_scope_is_denied) {
  node_fixture fixture;
  auto notes = fixture.spawn_probe("listener");
  auto request = container_request("boxed", "/bin/sh /agents/sender.sh");
  capabilities caps;
  caps.can_send.kind = send_scope_kind::none;
  request.caps = caps;
  fixture.spawn(request);

  auto response = ask_long(fixture.node(), "boxed", "probe", "listener");

  BOOST_TEST(contains(response, "capability_denied"),
             "response: " << response);
  BOOST_TEST(dead_letters_to(fixture.node(), "listener",
                             dead_letter_reason::capability_denied)
             >= 1u);
  BOOST_TEST(!notes->wait_for(
    [](const observation& x) { return x.kind == "message"; },
    std::chrono::milliseconds{200}));
}

BOOST_AUTO_TEST_CASE(hostile_env_stays_literal) {
  node_fixture fixture;
  auto request = container_request("env-agent", "/agents/agent");
  request.agent_id = "-rf$(id)";
  request.env["--privileged"] = "1";
  request.env["SHELLISH"] = "$(touch /tmp/x); `id` | -v /:/host";
  auto started = fixture.spawn(request);

  BOOST_TEST(ask_long(fixture.node(), request.agent_id, "env", "--privileged")
             == "1");
  BOOST_TEST(ask_long(fixture.node(), request.agent_id, "env", "SHELLISH")
             == "$(touch /tmp/x); `id` | -v /:/host");
  BOOST_TEST(inspect_agent_container(started.pid,
                                     "{{.HostConfig.Privileged}}")
             == "false");
  BOOST_TEST(inspect_agent_container(started.pid, "{{.EffectiveCaps}}")
             == "[]");
  BOOST_TEST(inspect_agent_container(
               started.pid, "{{index .Config.Labels \"corral.agent_id\"}}")
             == request.agent_id);
}

BOOST_AUTO_TEST_CASE(env_with_nul_is_rejected) {
  node_fixture fixture;
  auto in_name = container_request("nul-env");
  in_name.env[std::string("A\0B", 3)] = "1";
  auto in_value = container_request("nul-env");
  in_value.env["A"] = std::string("1\0--privileged", 14);

  auto name_result = fixture.node().spawn(in_name);
  auto value_result = fixture.node().spawn(in_value);

  BOOST_REQUIRE(!name_result);
  BOOST_TEST(code_of(name_result.error()) == "invalid_request");
  BOOST_REQUIRE(!value_result);
  BOOST_TEST(code_of(value_result.error()) == "invalid_request");
}

BOOST_AUTO_TEST_CASE(hostile_image_and_command_are_not_flags) {
  {
    node_fixture fixture;
    for (std::string image : {"-v", "--privileged", "a b", "x\n--rm"}) {
      auto request = container_request("flag");
      request.backend = container_backend{image};
      auto result = fixture.node().spawn(request);
      BOOST_REQUIRE(!result);
      BOOST_TEST(code_of(result.error()) == "invalid_request",
                 "image " << image << ": " << describe(result.error()));
    }

    auto shellish = container_request("shellish");
    shellish.backend = container_backend{"localhost/x$(id);`id`|&>y"};
    auto result = fixture.node().spawn(shellish);
    BOOST_REQUIRE(!result);
    BOOST_TEST(code_of(result.error()) == "spawn_failed",
               "error: " << describe(result.error()));

    // agent_type words go to the container's command, after the image.
    auto command = container_request("command", "--privileged /bin/sh");
    result = fixture.node().spawn(command);
    BOOST_REQUIRE(!result);
    BOOST_TEST(code_of(result.error()) == "spawn_failed",
               "error: " << describe(result.error()));
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_SUITE_END()
