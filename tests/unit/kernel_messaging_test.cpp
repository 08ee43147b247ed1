// Messaging through the node and between agents: addressing, requests and
// their timeouts, dead letters, topics, broadcast and trace ids.

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "actors/agent_context.hpp"
#include "backends/native/agent_registry.hpp"
#include "kernel_test_support.hpp"

using namespace corral;
using namespace corral::testing;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> message_topics(const recorder& log) {
  std::vector<std::string> result;
  for (const auto& x : log.all())
    if (x.kind == "message")
      result.push_back(x.msg.topic);
  return result;
}

// How the requests of one `request_issuer` ended, in the order they ended:
// "label:reply payload" or "label:error code".
class request_outcomes {
public:
  void add(std::string outcome) {
    std::lock_guard guard{mutex_};
    ended_.push_back(std::move(outcome));
  }

  std::vector<std::string> snapshot() const {
    std::lock_guard guard{mutex_};
    return ended_;
  }

private:
  mutable std::mutex mutex_;
  std::vector<std::string> ended_;
};

// Replies to a request with its payload after sleeping for the number of
// milliseconds in the payload.
class slow_echo : public agent {
public:
  std::optional<std::string> on_message(agent_context&,
                                        const message& msg) override {
    std::this_thread::sleep_for(std::chrono::milliseconds{
      std::stoll(msg.payload)});
    return msg.payload;
  }
};

// Sends the requests of the plan named by the topic of a message it
// receives, and records in `outcomes` how each ended.
//  - "order": "long" (300 ms timeout) and "short" (50 ms) to agent
//    "hanger", which never replies, then "quick" (2 s) to "echoer".
//  - "late": "400" to "slow-echo" with a 30 ms timeout. When that times
//    out, "10" to "slow-echo" with a 2 s timeout. The second request
//    takes the freed slot of the first before the first's reply arrives.
class request_issuer : public agent {
public:
  explicit request_issuer(std::shared_ptr<request_outcomes> outcomes)
    : outcomes_(std::move(outcomes)) {
  }

  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    if (msg.topic == "order") {
      issue(ctx, "long", "hanger", "hang", 300ms);
      issue(ctx, "short", "hanger", "hang", 50ms);
      issue(ctx, "quick", "echoer", "anything", 2000ms);
    } else if (msg.topic == "late") {
      ctx.request(
        "slow-echo", "sleep", "400", 30ms,
        [this](message& reply) { outcomes_->add("first:" + reply.payload); },
        [this, &ctx](const caf::error& error) {
          outcomes_->add(std::string{"first:"} + to_string(code_of(error)));
          issue(ctx, "second", "slow-echo", "sleep", 2000ms, "10");
        });
    }
    return std::nullopt;
  }

private:
  void issue(agent_context& ctx, const std::string& label,
             const std::string& target, const std::string& topic,
             std::chrono::milliseconds timeout,
             std::string payload = {}) {
    if (payload.empty())
      payload = label;
    ctx.request(
      target, topic, std::move(payload), timeout,
      [this, label](message& reply) {
        outcomes_->add(label + ":" + reply.payload);
      },
      [this, label](const caf::error& error) {
        outcomes_->add(label + ":" + to_string(code_of(error)));
      });
  }

  std::shared_ptr<request_outcomes> outcomes_;
};

std::shared_ptr<request_outcomes> register_request_issuer() {
  auto outcomes = std::make_shared<request_outcomes>();
  agent_registry::instance().add("request_issuer", [outcomes] {
    return std::make_unique<request_issuer>(outcomes);
  });
  register_agent_type<slow_echo>("slow_echo");
  return outcomes;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(addressing, node_fixture)

BOOST_AUTO_TEST_CASE(send_by_pid_name_and_global_pid) {
  auto log = spawn_probe("addressed");
  auto pid = pid_of("addressed");

  BOOST_TEST(!node().send(std::to_string(pid), "by-pid", {}));
  BOOST_TEST(!node().send("addressed", "by-name", {}));
  BOOST_TEST(!node().send("test:" + std::to_string(pid), "by-global", {}));

  BOOST_REQUIRE(log->wait_for(is_message("by-global"), patience));
  BOOST_TEST(message_topics(*log)
               == std::vector<std::string>({"by-pid", "by-name", "by-global"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(request_by_pid_name_and_global_pid) {
  auto pid = spawn("answerer").pid;

  BOOST_TEST(ask(std::to_string(pid), "echo", "pid") == "pid");
  BOOST_TEST(ask("answerer", "echo", "name") == "name");
  BOOST_TEST(ask("test:" + std::to_string(pid), "echo", "global") == "global");
}

BOOST_AUTO_TEST_CASE(reply_names_both_ends) {
  auto result = spawn("answerer");

  auto reply = node().request("answerer", "echo", "x", patience);

  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->kind == message_kind::reply);
  BOOST_TEST(reply->from == result.global);
  BOOST_TEST(reply->to.pid == kernel_pid);
}

BOOST_AUTO_TEST_CASE(request_to_other_node_unreachable) {
  auto reply = node().request("othernode:5", "echo", "x", patience);

  BOOST_TEST(code_of(reply) == errc::node_unreachable);
}

BOOST_AUTO_TEST_CASE(send_to_other_node_unreachable) {
  auto error = node().send("othernode:5", "echo", "x");

  BOOST_TEST(code_of(error) == errc::node_unreachable);
}

BOOST_AUTO_TEST_CASE(request_to_unknown_name_not_found) {
  auto reply = node().request("nobody", "echo", "x", patience);

  BOOST_TEST(code_of(reply) == errc::process_not_found);
}

BOOST_AUTO_TEST_CASE(request_to_crashing_agent_is_agent_exited) {
  spawn_probe("crasher");

  auto reply = node().request("crasher", "crash", "boom", patience);

  BOOST_TEST(code_of(reply) == errc::agent_exited);
  BOOST_REQUIRE(!reply);
  auto detail = to_failure(reply.error()).detail;
  BOOST_TEST(detail.find("crashed") != std::string::npos, detail);
  BOOST_TEST(detail.find("probe crash: boom") != std::string::npos, detail);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(timeouts, node_fixture)

BOOST_AUTO_TEST_CASE(request_to_hanging_agent_times_out) {
  spawn_probe("hanger");
  auto started = std::chrono::steady_clock::now();

  auto reply = node().request("hanger", "hang", {}, 200ms);
  auto elapsed_ms = ms_since(started);

  BOOST_TEST(code_of(reply) == errc::timeout);
  BOOST_TEST(elapsed_ms >= 200);
  BOOST_TEST(elapsed_ms < 5000);
}

BOOST_AUTO_TEST_CASE(timed_out_request_is_dead_letter) {
  spawn_probe("hanger");

  node().request("hanger", "hang", {}, 100ms);

  auto letters = dead_letters_to(node(), "hanger");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::timeout);
  BOOST_TEST(letters[0].message.topic == "hang");
}

BOOST_AUTO_TEST_CASE(requests_end_by_deadline_not_order) {
  auto outcomes = register_request_issuer();
  spawn_probe("hanger");
  spawn_probe("echoer");
  spawn("issuer", "request_issuer");

  BOOST_REQUIRE(!node().send("issuer", "order", {}));

  BOOST_REQUIRE(
    wait_until([&] { return outcomes->snapshot().size() == 3; }, patience));
  BOOST_TEST(outcomes->snapshot()
               == std::vector<std::string>(
                 {"quick:ack", "short:timeout", "long:timeout"}),
             boost::test_tools::per_element());
  auto letters = dead_letters_to(node(), "hanger");
  BOOST_REQUIRE(letters.size() == 2u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::timeout);
  BOOST_TEST(letters[0].message.payload == "short");
  BOOST_TEST(letters[0].message.from.pid == pid_of("issuer"));
  BOOST_TEST(letters[0].message.to.pid == pid_of("hanger"));
  BOOST_TEST(letters[0].message.kind == message_kind::request);
  BOOST_TEST(letters[1].reason == dead_letter_reason::timeout);
  BOOST_TEST(letters[1].message.payload == "long");
  BOOST_TEST(letters[0].message.correlation_id
             != letters[1].message.correlation_id);
  BOOST_TEST(dead_letters_to(node(), "echoer").empty());
}

BOOST_AUTO_TEST_CASE(late_reply_does_not_end_next_request) {
  auto outcomes = register_request_issuer();
  spawn("slow-echo", "slow_echo");
  spawn("issuer", "request_issuer");

  BOOST_REQUIRE(!node().send("issuer", "late", {}));

  BOOST_REQUIRE(
    wait_until([&] { return outcomes->snapshot().size() == 2; }, patience));
  // Time for a wrongly delivered extra reply to show up.
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(outcomes->snapshot()
               == std::vector<std::string>({"first:timeout", "second:10"}),
             boost::test_tools::per_element());
  auto letters = dead_letters_to(node(), "slow-echo");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].message.payload == "400");
}

BOOST_AUTO_TEST_CASE(agent_request_times_out) {
  spawn_probe("asker");
  spawn_probe("hanger");
  nlohmann::json args{{"to", "hanger"}, {"topic", "hang"}, {"timeout_ms", 100}};

  auto reply = ask("asker", "request", args.dump());

  BOOST_TEST(reply.rfind("timeout", 0) == 0u);
  auto letters = dead_letters_to(node(), "hanger");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::timeout);
  BOOST_TEST(letters[0].message.from.pid == pid_of("asker"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(undeliverable, node_fixture)

BOOST_AUTO_TEST_CASE(send_to_unknown_name_is_dead_letter) {
  auto error = node().send("nobody", "lost", "payload");

  BOOST_TEST(code_of(error) == errc::process_not_found);
  auto letters = dead_letters_to(node(), "nobody");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::unknown_target);
  BOOST_TEST(letters[0].message.topic == "lost");
  BOOST_TEST(letters[0].message.payload == "payload");
}

BOOST_AUTO_TEST_CASE(send_to_unused_pid_is_unknown_target) {
  node().send("4242", "lost", {});

  auto letters = dead_letters_to(node(), "4242");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::unknown_target);
}

BOOST_AUTO_TEST_CASE(pid_of_failed_spawn_is_unknown_target) {
  BOOST_REQUIRE(!node().spawn(request_for("typo", "no_such_type")));

  node().send("1", "lost", {});

  auto letters = dead_letters_to(node(), "1");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::unknown_target);
}

BOOST_AUTO_TEST_CASE(send_to_exited_pid_is_dead_letter) {
  auto pid = std::to_string(spawn("short-lived").pid);
  BOOST_REQUIRE(node().stop("short-lived"));

  auto error = node().send(pid, "late", {});

  BOOST_TEST(code_of(error) == errc::process_not_found);
  auto letters = dead_letters_to(node(), pid);
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::exited_target);
}

BOOST_AUTO_TEST_CASE(agent_send_to_unknown_is_dead_letter) {
  spawn_probe("lost-sender");

  auto reply = ask("lost-sender", "send", command_args("nobody", "lost"));

  BOOST_TEST(reply.rfind("process_not_found", 0) == 0u);
  auto letters = dead_letters_to(node(), "nobody");
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::unknown_target);
  BOOST_TEST(letters[0].message.from.pid == pid_of("lost-sender"));
}

BOOST_AUTO_TEST_CASE(agent_request_to_exited_is_dead_letter) {
  spawn_probe("late-asker");
  auto pid = std::to_string(spawn("short-lived").pid);
  BOOST_REQUIRE(node().stop("short-lived"));

  auto reply = ask("late-asker", "request", command_args(pid, "echo"));

  BOOST_TEST(reply.rfind("process_not_found", 0) == 0u);
  auto letters = dead_letters_to(node(), pid);
  BOOST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(letters[0].reason == dead_letter_reason::exited_target);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(topics, node_fixture)

BOOST_AUTO_TEST_CASE(publish_reaches_subscribers_only) {
  auto reader_a = spawn_probe("reader-a");
  auto reader_b = spawn_probe("reader-b");
  auto bystander = spawn_probe("bystander");
  spawn_probe("publisher");
  BOOST_REQUIRE(ask("reader-a", "subscribe", "news") == "ok");
  BOOST_REQUIRE(ask("reader-b", "subscribe", "news") == "ok");

  BOOST_TEST(ask("publisher", "publish", command_args({}, "news", "hi"))
             == "ok");
  // A message sent after the publication: had the bystander been sent the
  // publication, it would have arrived first.
  BOOST_REQUIRE(ask("publisher", "send", command_args("bystander", "marker"))
                == "ok");

  BOOST_TEST(reader_a->wait_for(is_message("news"), patience).has_value());
  BOOST_TEST(reader_b->wait_for(is_message("news"), patience).has_value());
  BOOST_REQUIRE(bystander->wait_for(is_message("marker"), patience));
  BOOST_TEST(message_topics(*bystander)
               == std::vector<std::string>({"marker"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(node_publish_reaches_subscribers) {
  auto reader = spawn_probe("node-reader");
  BOOST_REQUIRE(ask("node-reader", "subscribe", "alerts") == "ok");

  BOOST_TEST(!node().publish("alerts", "fire"));

  auto seen = reader->wait_for(is_message("alerts"), patience);
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->msg.payload == "fire");
}

BOOST_AUTO_TEST_CASE(exited_subscriber_is_dropped) {
  spawn_probe("brief-reader");
  BOOST_REQUIRE(ask("brief-reader", "subscribe", "news") == "ok");
  BOOST_REQUIRE(node().stop("brief-reader"));

  BOOST_TEST(node().services().agents.subscribers("news").empty());
}

BOOST_AUTO_TEST_CASE(broadcast_reaches_all_but_sender) {
  auto sender = spawn_probe("caster");
  auto first = spawn_probe("listener-1");
  auto second = spawn_probe("listener-2");
  spawn("listener-loop");

  BOOST_TEST(ask("caster", "broadcast", command_args({}, "hello", "all"))
             == "ok");
  // The sender's message to itself follows the broadcast, so a broadcast
  // copy to itself would have arrived first.
  BOOST_REQUIRE(ask("caster", "send", command_args("caster", "marker"))
                == "ok");

  BOOST_TEST(first->wait_for(is_message("hello"), patience).has_value());
  BOOST_TEST(second->wait_for(is_message("hello"), patience).has_value());
  BOOST_REQUIRE(sender->wait_for(is_message("marker"), patience));
  auto seen = message_topics(*sender);
  BOOST_TEST(std::count(seen.begin(), seen.end(), "hello") == 0);
  BOOST_TEST(wait_until(
    [&] {
      auto info = node().inspect("listener-loop");
      return info && info->usage.messages_in == 1;
    },
    patience));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(between_agents, node_fixture)

BOOST_AUTO_TEST_CASE(request_between_probes) {
  spawn_probe("client");
  auto server = spawn_probe("server");

  auto reply = ask("client", "request", command_args("server", "question"));

  BOOST_TEST(reply == "ack");
  auto seen = server->wait_for(is_message("question"), patience);
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->msg.kind == message_kind::request);
  BOOST_TEST(seen->msg.from.pid == pid_of("client"));
  BOOST_TEST(seen->msg.to.pid == pid_of("server"));
  BOOST_TEST(seen->msg.correlation_id != 0u);
}

BOOST_AUTO_TEST_CASE(sends_keep_order_per_pair) {
  spawn_probe("orderly-sender");
  auto receiver = spawn_probe("orderly-receiver");

  for (auto topic : {"one", "two", "three"})
    BOOST_REQUIRE(
      ask("orderly-sender", "send", command_args("orderly-receiver", topic))
      == "ok");

  BOOST_REQUIRE(receiver->wait_for(is_message("three"), patience));
  BOOST_TEST(message_topics(*receiver)
               == std::vector<std::string>({"one", "two", "three"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(node_request_starts_trace) {
  auto log = spawn_probe("trace-start");

  auto reply = node().request("trace-start", "noop", {}, patience);

  BOOST_REQUIRE(reply);
  auto seen = log->wait_for(is_message("noop"), patience);
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->msg.trace_id != 0u);
  BOOST_TEST(reply->trace_id == seen->msg.trace_id);
}

BOOST_AUTO_TEST_CASE(requests_get_distinct_traces) {
  auto log = spawn_probe("trace-twice");

  BOOST_REQUIRE(node().request("trace-twice", "first", {}, patience));
  BOOST_REQUIRE(node().request("trace-twice", "second", {}, patience));

  auto first = log->wait_for(is_message("first"), patience);
  auto second = log->wait_for(is_message("second"), patience);
  BOOST_REQUIRE(first);
  BOOST_REQUIRE(second);
  BOOST_TEST(first->msg.trace_id != second->msg.trace_id);
}

BOOST_AUTO_TEST_CASE(trace_id_follows_sends_and_requests) {
  auto hop = spawn_probe("trace-hop");
  auto sink = spawn_probe("trace-sink");

  BOOST_REQUIRE(ask("trace-hop", "send", command_args("trace-sink", "cast"))
                == "ok");
  BOOST_REQUIRE(
    ask("trace-hop", "request", command_args("trace-sink", "nested"))
    == "ack");

  auto send_command = hop->wait_for(is_message("send"), patience);
  auto request_command = hop->wait_for(is_message("request"), patience);
  auto cast = sink->wait_for(is_message("cast"), patience);
  auto nested = sink->wait_for(is_message("nested"), patience);
  BOOST_REQUIRE(send_command);
  BOOST_REQUIRE(request_command);
  BOOST_REQUIRE(cast);
  BOOST_REQUIRE(nested);
  BOOST_TEST(send_command->msg.trace_id != 0u);
  BOOST_TEST(cast->msg.trace_id == send_command->msg.trace_id);
  BOOST_TEST(nested->msg.trace_id == request_command->msg.trace_id);
}

BOOST_AUTO_TEST_SUITE_END()
