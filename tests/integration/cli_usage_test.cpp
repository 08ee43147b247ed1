// Usage errors of the corral CLI: values that CLI11 would accept but that
// must exit 2 with a message naming the option and the value, and the exit
// code of failures that the node reports.

#include <mutex>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "cli_checks.hpp"
#include "net/control_endpoint.hpp"
#include "net/control_protocol.hpp"
#include "node_process.hpp"

using namespace corral::testing;
using nlohmann::json;

namespace {

/// A control endpoint in this process that records every request and
/// returns a fixed reply, to check what the CLI sends.
class fake_node {
public:
  explicit fake_node(json reply) : reply_(std::move(reply)) {
    corral::control_endpoint_config config;
    config.address.path = directory_.path() + "/fake.sock";
    config.node_id = "fake";
    auto started = corral::control_endpoint::start(
      config, [this](const json& request, corral::control_request_context&) {
        std::lock_guard<std::mutex> guard{mutex_};
        requests_.push_back(request);
        return reply_;
      });
    BOOST_TEST_REQUIRE(static_cast<bool>(started),
                       corral::to_string(started.error()));
    endpoint_ = std::move(*started);
  }

  /// Runs `corral ARGS... --control PATH` against this endpoint.
  command_result corral(std::vector<std::string> args) {
    args.push_back("--control");
    args.push_back(directory_.path() + "/fake.sock");
    return run_corral(args);
  }

  /// Returns the requests received so far.
  std::vector<json> requests() {
    std::lock_guard<std::mutex> guard{mutex_};
    return requests_;
  }

private:
  temp_directory directory_;
  json reply_;
  std::mutex mutex_;
  std::vector<json> requests_;
  std::unique_ptr<corral::control_endpoint> endpoint_;
};

} // namespace

BOOST_AUTO_TEST_SUITE(cli_usage)

BOOST_AUTO_TEST_CASE(negative_numbers_exit_2) {
  const std::vector<std::vector<std::string>> commands = {
    {"stop", "w1", "--grace", "-1"},
    {"watch", "--count", "-1"},
    {"node", "--grace", "-5"},
  };
  for (const auto& args : commands) {
    auto result = run_corral(args);
    BOOST_TEST(result.exit_code == 2, args[0] << ": " << summary(result));
    BOOST_TEST(result.err.find("is negative") != std::string::npos,
               args[0] << ": " << result.err);
    BOOST_TEST(result.err.find(args[2]) != std::string::npos,
               args[0] << ": " << result.err);
  }
}

BOOST_AUTO_TEST_CASE(out_of_range_numbers_exit_2) {
  // Grace periods above 24 h used to overflow the timers: the node killed
  // at once, and the CLI gave up on the node at once.
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
    {{"stop", "w1", "--grace", "86400001"}, "above the maximum"},
    {{"stop", "w1", "--grace", "99999999999999999999999"}, "above the maximum"},
    {{"stop", "w1", "--grace", "1e3"}, "not a whole number"},
    {{"node", "--grace", "9223372036854"}, "above the maximum"},
    {{"node", "--max-agents", "0"}, "below the minimum"},
    {{"node", "--max-agent-memory", "0"}, "below the minimum"},
    {{"node", "--max-agent-memory", "1099511627777"}, "above the maximum"},
    {{"send", "w1", "t", "--timeout", "abc"}, "not a whole number"},
  };
  for (const auto& [args, reason] : cases) {
    auto result = run_corral(args);
    BOOST_TEST(result.exit_code == 2, args[0] << ": " << summary(result));
    BOOST_TEST(result.err.find(reason) != std::string::npos,
               args[0] << ": " << result.err);
    BOOST_TEST(result.err.find(args.back()) != std::string::npos,
               args[0] << ": " << result.err);
  }
}

BOOST_AUTO_TEST_CASE(stop_grace_maximum_reaches_node) {
  fake_node node{{{"ok", true}, {"exit_reason", {{"kind", "shutdown"}}}}};
  auto longest = node.corral({"stop", "w1", "--grace", "86400000"});
  BOOST_TEST(longest.exit_code == 0, summary(longest));
  auto requests = node.requests();
  BOOST_TEST_REQUIRE(requests.size() == 1u);
  BOOST_TEST(requests[0].value("grace_ms", json{}) == 86400000,
             requests[0].dump());
}

BOOST_AUTO_TEST_CASE(stop_grace_zero_reaches_node) {
  fake_node node{{{"ok", true}, {"exit_reason", {{"kind", "killed"}}}}};
  auto zero = node.corral({"stop", "w1", "--grace", "0"});
  BOOST_TEST(zero.exit_code == 0, summary(zero));
  auto absent = node.corral({"stop", "w1"});
  BOOST_TEST(absent.exit_code == 0, summary(absent));

  auto requests = node.requests();
  BOOST_TEST_REQUIRE(requests.size() == 2u);
  BOOST_TEST(requests[0].value("grace_ms", json{}) == 0, requests[0].dump());
  BOOST_TEST(!requests[1].contains("grace_ms"), requests[1].dump());
}

BOOST_AUTO_TEST_CASE(empty_options_exit_2) {
  const std::vector<std::vector<std::string>> commands = {
    {"spawn", "--id", "a1", "--type", ""},
    {"spawn", "--id", "a1", "--backend", ""},
    {"ps", "--control", ""},
    {"node", "--control", ""},
  };
  for (const auto& args : commands) {
    auto result = run_corral(args);
    const auto& option = args[args.size() - 2];
    BOOST_TEST(result.exit_code == 2, option << ": " << summary(result));
    BOOST_TEST(result.err.find(option + ": the value is empty")
                 != std::string::npos,
               option << ": " << result.err);
  }
}

BOOST_AUTO_TEST_CASE(unknown_command_is_named) {
  auto result = run_corral({"frobnicate", "--json"});
  BOOST_TEST(result.exit_code == 2, summary(result));
  BOOST_TEST(result.err.find("unknown command \"frobnicate\"")
               != std::string::npos,
             result.err);
  BOOST_TEST(result.err.find("spawn") != std::string::npos, result.err);
}

BOOST_AUTO_TEST_CASE(invalid_agent_id_exits_2) {
  auto result = run_corral({"spawn", "--id", "a b"});
  BOOST_TEST(result.exit_code == 2, summary(result));
  BOOST_TEST(result.err.find("\"a b\" is not a valid agent_id")
               != std::string::npos,
             result.err);
  auto digits = run_corral({"spawn", "--id", "42"});
  BOOST_TEST(digits.exit_code == 2, summary(digits));
}

BOOST_AUTO_TEST_CASE(empty_topic_and_target_exit_2) {
  auto send = run_corral({"send", "w1", ""});
  BOOST_TEST(send.exit_code == 2, summary(send));
  BOOST_TEST(send.err.find("TOPIC: the value is empty") != std::string::npos,
             send.err);
  auto publish = run_corral({"publish", ""});
  BOOST_TEST(publish.exit_code == 2, summary(publish));
  auto target = run_corral({"inspect", ""});
  BOOST_TEST(target.exit_code == 2, summary(target));
  BOOST_TEST(target.err.find("TARGET: the value is empty")
               != std::string::npos,
             target.err);
}

BOOST_AUTO_TEST_CASE(unreadable_files_give_reason) {
  temp_directory directory;
  auto missing = directory.path() + "/missing.json";
  auto request = run_corral({"spawn", "--json-request", missing});
  BOOST_TEST(request.exit_code == 2, summary(request));
  BOOST_TEST(request.err.find(missing + "\": No such file or directory")
               != std::string::npos,
             request.err);

  auto payload = run_corral({"send", "w1", "work", "--payload-file",
                             directory.path()});
  BOOST_TEST(payload.exit_code == 2, summary(payload));
  BOOST_TEST(payload.err.find("Is a directory") != std::string::npos,
             payload.err);

  auto token = run_corral({"ps", "--control", "tcp://127.0.0.1:9",
                           "--token-file", missing});
  BOOST_TEST(token.exit_code == 2, summary(token));
  BOOST_TEST(token.err.find("cannot read the token file") != std::string::npos,
             token.err);
  BOOST_TEST(token.err.find("No such file or directory") != std::string::npos,
             token.err);
}

BOOST_AUTO_TEST_CASE(target_on_other_node_exits_1) {
  node_process node;
  auto result = node.corral({"send", "n2:9", "ping"});
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("node n2 is not known") != std::string::npos,
             result.err);
  BOOST_TEST(result.err.find("start one with") == std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_CASE(node_error_reply_exits_1) {
  // node_unreachable in a reply comes from a node that did reply.
  fake_node node{corral::make_error_reply(
    {corral::errc::node_unreachable, "node n2 is down"})};
  auto result = node.corral({"ping"});
  BOOST_TEST(result.exit_code == 1, summary(result));
  BOOST_TEST(result.err.find("node n2 is down") != std::string::npos,
             result.err);
}

BOOST_AUTO_TEST_SUITE_END()
