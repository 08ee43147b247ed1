// Container agents with real Podman: request-reply, messages with native
// agents, the hardened defaults and the protocol's limits.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "tests/harness/node_fixture.hpp"
#include "tests/integration/container_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

// A TCP listener on 127.0.0.1 with a port the kernel picks.
struct loopback_listener {
  int fd = -1;
  int port = 0;

  loopback_listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(fd, 4);
    socklen_t size = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
  }

  ~loopback_listener() {
    ::close(fd);
  }
};

} // namespace

BOOST_AUTO_TEST_SUITE(container_agents)

BOOST_AUTO_TEST_CASE(shell_agent_answers_requests) {
  {
    node_fixture fixture;
    fixture.spawn(container_request("sh-echo"));

    BOOST_TEST(ask_long(fixture.node(), "sh-echo", "echo", "hello") == "hello");
    BOOST_TEST(ask_long(fixture.node(), "sh-echo", "echo", "second")
               == "second");
    // Bytes that are not UTF-8 travel as payload_b64 both ways.
    std::string bytes{"\xff\x00\x01", 3};
    BOOST_TEST(ask_long(fixture.node(), "sh-echo", "echo", bytes) == bytes);
    BOOST_TEST(fixture.state_of("sh-echo") == "running");
  }
  BOOST_TEST(our_containers().empty());
}

BOOST_AUTO_TEST_CASE(c_agent_gets_env_and_hardened_defaults) {
  node_fixture fixture;
  auto request = container_request("c-agent", "/agents/agent");
  request.env["GREETING"] = "hi there";
  auto started = fixture.spawn(request);

  BOOST_TEST(ask_long(fixture.node(), "c-agent", "env", "GREETING")
             == "hi there");
  BOOST_TEST(inspect_agent_container(started.pid,
                                     "{{.HostConfig.ReadonlyRootfs}}")
             == "true");
  BOOST_TEST(inspect_agent_container(started.pid,
                                     "{{.HostConfig.NetworkMode}}")
             == "none");
  BOOST_TEST(inspect_agent_container(started.pid, "{{.EffectiveCaps}}")
             == "[]");
  BOOST_TEST(inspect_agent_container(started.pid,
                                     "{{.HostConfig.SecurityOpt}}")
               .find("no-new-privileges")
             != std::string::npos);
  BOOST_TEST(inspect_agent_container(started.pid,
                                     "{{index .Config.Labels \"corral.agent_id\"}}")
             == "c-agent");
}

BOOST_AUTO_TEST_CASE(container_and_native_agents_exchange_messages) {
  node_fixture fixture;
  fixture.spawn("native-echo");
  auto notes = fixture.spawn_probe("listener");
  fixture.spawn(container_request("c-agent", "/agents/agent"));

  // container -> native request, native reply -> container, container reply.
  BOOST_TEST(ask_long(fixture.node(), "c-agent", "ask", "native-echo")
             == "asked by a container");
  // container -> native one-way send.
  BOOST_TEST(ask_long(fixture.node(), "c-agent", "tell", "listener") == "sent");
  auto note = notes->wait_for(
    [](const observation& x) {
      return x.kind == "message" && x.msg.topic == "note";
    },
    hang_guard);
  BOOST_REQUIRE(note);
  BOOST_TEST(note->msg.payload == "hello from a container");
}

BOOST_AUTO_TEST_CASE(network_is_off_by_default) {
  loopback_listener server;
  BOOST_REQUIRE(server.port > 0);
  node_fixture fixture;
  fixture.spawn(container_request("c-agent", "/agents/agent"));
  fixture.spawn(container_request("interfaces", "/bin/sh /agents/interfaces.sh"));

  auto answer = ask_long(fixture.node(), "c-agent", "connect",
                         "127.0.0.1:" + std::to_string(server.port));
  BOOST_TEST(answer.rfind("failed", 0) == 0, "connect answered: " << answer);
  BOOST_TEST(ask_long(fixture.node(), "interfaces", "list", "") == "lo ");
}

BOOST_AUTO_TEST_CASE(over_long_line_is_rejected) {
  node_fixture fixture;
  fixture.spawn(container_request("long", "/bin/sh /agents/long_line.sh"));

  BOOST_TEST(ask_long(fixture.node(), "long", "echo", "x") == "short");
  BOOST_TEST(fixture.state_of("long") == "running");
}

BOOST_AUTO_TEST_CASE(garbage_flood_stops_container) {
  node_fixture fixture;
  auto started = fixture.spawn(
    container_request("garbage", "/bin/sh /agents/garbage.sh"));

  BOOST_TEST(wait_until([&] { return fixture.state_of("garbage") == "exited"; },
                        hang_guard));
  auto info = fixture.node().inspect(std::to_string(started.pid));
  BOOST_REQUIRE(info);
  BOOST_REQUIRE(info->exit);
  BOOST_TEST(to_string(info->exit->kind) == "crashed");
  BOOST_TEST(info->exit->detail.find("invalid lines") != std::string::npos,
             "detail: " << info->exit->detail);
}

BOOST_AUTO_TEST_SUITE_END()
