// Capabilities checked by the kernel and the agent context: can_send per
// scope and topic, can_publish, can_spawn, and the node's defaults.

#include <string>

#include <boost/test/unit_test.hpp>

#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.rfind(prefix, 0) == 0;
}

spawn_request with_send_scope(send_scope scope) {
  spawn_request request;
  capabilities caps;
  caps.can_send = std::move(scope);
  request.caps = caps;
  return request;
}

/// Returns the request for a probe that another probe spawns.
spawn_request child_probe(const std::string& agent_id,
                          std::optional<capabilities> caps = std::nullopt) {
  auto request = request_for(agent_id, probe_type);
  request.caps = std::move(caps);
  return request;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(can_send, node_fixture)

BOOST_AUTO_TEST_CASE(scope_none_denies_send) {
  spawn_probe("mute", with_send_scope({send_scope_kind::none, {}, {}}));
  spawn_probe("mute-target");

  auto reply = ask("mute", "send", command_args("mute-target", "hello"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  auto letters = dead_letters_to(node(), "mute-target");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::capability_denied);
  BOOST_TEST(letters[0].message.topic == "hello");
}

BOOST_AUTO_TEST_CASE(scope_none_denies_request) {
  spawn_probe("mute", with_send_scope({send_scope_kind::none, {}, {}}));
  spawn_probe("mute-target");

  auto reply = ask("mute", "request", command_args("mute-target", "hello"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  auto letters = dead_letters_to(node(), "mute-target");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::capability_denied);
}

BOOST_AUTO_TEST_CASE(denied_message_never_arrives) {
  spawn_probe("mute", with_send_scope({send_scope_kind::none, {}, {}}));
  auto target = spawn_probe("mute-target");

  ask("mute", "send", command_args("mute-target", "hello"));
  // The marker is sent after the sender's reply, so a delivered "hello"
  // would be ahead of it in the mailbox.
  BOOST_REQUIRE(!node().send("mute-target", "marker", {}));

  BOOST_REQUIRE(target->wait_for(is_message("marker"), patience));
  BOOST_TEST(!target->wait_for(is_message("hello"), {}).has_value());
}

BOOST_AUTO_TEST_CASE(parent_only_allows_parent) {
  auto parent = spawn_probe("po-parent");
  spawn_probe("po-other");
  capabilities caps;
  caps.can_send.kind = send_scope_kind::parent_only;
  auto child_pid = ask("po-parent", "spawn",
                       spawn_args(child_probe("po-child", caps)));
  BOOST_REQUIRE(child_pid == std::to_string(pid_of("po-child")));
  auto parent_pid = std::to_string(pid_of("po-parent"));

  auto reply = ask("po-child", "send", command_args(parent_pid, "up"));

  BOOST_TEST(reply == "ok");
  BOOST_TEST(parent->wait_for(is_message("up"), patience).has_value());
}

BOOST_AUTO_TEST_CASE(parent_only_denies_others) {
  spawn_probe("po-parent");
  spawn_probe("po-other");
  capabilities caps;
  caps.can_send.kind = send_scope_kind::parent_only;
  ask("po-parent", "spawn", spawn_args(child_probe("po-child", caps)));
  BOOST_REQUIRE(pid_of("po-child") != 0);

  auto reply = ask("po-child", "send", command_args("po-other", "sideways"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  auto letters = dead_letters_to(node(), "po-other");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::capability_denied);
}

BOOST_AUTO_TEST_CASE(parent_only_top_level_denies_all) {
  spawn_probe("po-top", with_send_scope({send_scope_kind::parent_only, {}, {}}));
  spawn_probe("po-other");

  auto reply = ask("po-top", "send", command_args("po-other", "sideways"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
}

BOOST_AUTO_TEST_CASE(children_allows_children) {
  spawn_probe("ch-parent", with_send_scope({send_scope_kind::children, {}, {}}));
  auto child = recorder_for("ch-child");
  ask("ch-parent", "spawn", spawn_args(child_probe("ch-child")));
  BOOST_REQUIRE(pid_of("ch-child") != 0);

  auto reply = ask("ch-parent", "send", command_args("ch-child", "down"));

  BOOST_TEST(reply == "ok");
  BOOST_TEST(child->wait_for(is_message("down"), patience).has_value());
}

BOOST_AUTO_TEST_CASE(children_denies_others) {
  spawn_probe("ch-parent", with_send_scope({send_scope_kind::children, {}, {}}));
  spawn_probe("ch-other");

  auto reply = ask("ch-parent", "send", command_args("ch-other", "sideways"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  auto letters = dead_letters_to(node(), "ch-other");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::capability_denied);
}

BOOST_AUTO_TEST_CASE(listed_allows_names_and_pids) {
  auto by_name = spawn_probe("ls-by-name");
  auto by_pid = spawn_probe("ls-by-pid");
  auto pid = std::to_string(pid_of("ls-by-pid"));
  spawn_probe("ls-sender",
              with_send_scope({send_scope_kind::listed, {"ls-by-name", pid}, {}}));

  BOOST_TEST(ask("ls-sender", "send", command_args("ls-by-name", "a")) == "ok");
  BOOST_TEST(ask("ls-sender", "send", command_args("ls-by-pid", "b")) == "ok");

  BOOST_TEST(by_name->wait_for(is_message("a"), patience).has_value());
  BOOST_TEST(by_pid->wait_for(is_message("b"), patience).has_value());
}

BOOST_AUTO_TEST_CASE(listed_denies_unlisted) {
  spawn_probe("ls-by-name");
  spawn_probe("ls-unlisted");
  spawn_probe("ls-sender",
              with_send_scope({send_scope_kind::listed, {"ls-by-name"}, {}}));

  auto reply = ask("ls-sender", "send", command_args("ls-unlisted", "c"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  auto letters = dead_letters_to(node(), "ls-unlisted");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::capability_denied);
}

BOOST_AUTO_TEST_CASE(topics_allow_listed_topic) {
  auto target = spawn_probe("tp-target");
  spawn_probe("tp-sender",
              with_send_scope({send_scope_kind::all, {}, {"status"}}));

  auto reply = ask("tp-sender", "send", command_args("tp-target", "status"));

  BOOST_TEST(reply == "ok");
  BOOST_TEST(target->wait_for(is_message("status"), patience).has_value());
}

BOOST_AUTO_TEST_CASE(topics_deny_other_topic) {
  spawn_probe("tp-target");
  spawn_probe("tp-sender",
              with_send_scope({send_scope_kind::all, {}, {"status"}}));

  auto reply = ask("tp-sender", "send", command_args("tp-target", "gossip"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  auto letters = dead_letters_to(node(), "tp-target");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::capability_denied);
  BOOST_TEST(letters[0].message.topic == "gossip");
}

BOOST_AUTO_TEST_CASE(outside_sender_is_never_checked) {
  auto target = spawn_probe("outside-target",
                            with_send_scope({send_scope_kind::none, {}, {}}));

  BOOST_TEST(!node().send("outside-target", "hello", {}));
  BOOST_TEST(target->wait_for(is_message("hello"), patience).has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(can_publish, node_fixture)

BOOST_AUTO_TEST_CASE(listed_topic_is_published) {
  auto reader = spawn_probe("pub-reader");
  BOOST_REQUIRE(ask("pub-reader", "subscribe", "news") == "ok");
  spawn_request base;
  capabilities caps;
  caps.can_publish = {"news"};
  base.caps = caps;
  spawn_probe("pub-sender", base);

  auto reply = ask("pub-sender", "publish", command_args({}, "news", "x"));

  BOOST_TEST(reply == "ok");
  BOOST_TEST(reader->wait_for(is_message("news"), patience).has_value());
}

BOOST_AUTO_TEST_CASE(unlisted_topic_is_denied) {
  spawn_request base;
  capabilities caps;
  caps.can_publish = {"news"};
  base.caps = caps;
  spawn_probe("pub-sender", base);

  auto reply = ask("pub-sender", "publish", command_args({}, "gossip", "x"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  auto letters = dead_letters_to(node(), "topic:gossip");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::capability_denied);
}

BOOST_AUTO_TEST_CASE(empty_list_denies_broadcast) {
  spawn_request base;
  capabilities caps;
  caps.can_publish = {};
  base.caps = caps;
  spawn_probe("pub-silent", base);

  auto reply = ask("pub-silent", "broadcast", command_args({}, "all", "x"));

  BOOST_TEST(starts_with(reply, "capability_denied"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(can_spawn, node_fixture)

BOOST_AUTO_TEST_CASE(child_spawn_denied_without_can_spawn) {
  spawn_request base;
  capabilities caps;
  caps.can_spawn = false;
  base.caps = caps;
  spawn_probe("barren", base);

  auto reply = ask("barren", "spawn", spawn_args(request_for("never-born")));

  BOOST_TEST(starts_with(reply, "capability_denied"));
  BOOST_TEST(state_of("never-born") == "missing");
}

BOOST_AUTO_TEST_CASE(child_spawn_allowed_by_default) {
  spawn_probe("fertile");

  auto reply = ask("fertile", "spawn", spawn_args(request_for("first-born")));

  BOOST_TEST(reply == std::to_string(pid_of("first-born")));
  auto info = node().inspect("first-born");
  BOOST_REQUIRE(info);
  BOOST_TEST(info->parent == pid_of("fertile"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(defaults, node_fixture)

BOOST_AUTO_TEST_CASE(defaults_allow_all_but_network) {
  spawn("plain");

  auto info = node().inspect("plain");

  BOOST_REQUIRE(info);
  BOOST_TEST(info->caps.can_spawn);
  BOOST_TEST(info->caps.can_send.kind == send_scope_kind::all);
  BOOST_TEST(info->caps.can_send.agents.empty());
  BOOST_TEST(info->caps.can_send.topics.empty());
  BOOST_TEST(info->caps.can_publish == std::vector<std::string>({"*"}),
             boost::test_tools::per_element());
  BOOST_TEST(!info->caps.can_network);
}

BOOST_AUTO_TEST_CASE(node_defaults_apply_without_caps) {
  auto config = node_fixture::test_config();
  config.default_capabilities.can_spawn = false;
  node_fixture fixture{config};
  fixture.spawn("plain");

  auto info = fixture.node().inspect("plain");

  BOOST_REQUIRE(info);
  BOOST_TEST(!info->caps.can_spawn);
}

BOOST_AUTO_TEST_SUITE_END()
