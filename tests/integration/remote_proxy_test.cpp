// The Remote proxy's two ways of forwarding: through its mailbox while it
// starts (and whenever something waits there), and on the sender's thread
// once it runs. These tests drive a proxy whose spawn is held by a stand-in
// gateway, so that the test decides when the target confirms, and check
// order, replies, errors, counters and restarts across both ways.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/node.hpp"
#include "actors/remote_routes.hpp"
#include "backends/remote/remote_proxy.hpp"
#include "local_member.hpp"
#include "remote_cluster.hpp"

using namespace corral;
using namespace corral::testing;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// Replies and errors that a sender actor received, by the index of the
/// request.
struct reply_log {
  std::mutex mutex;
  std::vector<std::size_t> replied;
  std::vector<std::string> errors;

  std::size_t size() {
    std::lock_guard<std::mutex> guard{mutex};
    return replied.size() + errors.size();
  }
};

/// Every message whose index is a multiple of this, less one, is a request.
constexpr std::size_t request_every = 50;

/// An actor that sends, for each (first, last) it gets, the messages with
/// those indexes to `proxy` in order: casts, and every `request_every`-th
/// a request with a 10 s deadline, whose outcome goes to `log`.
caf::behavior ordered_sender(caf::event_based_actor* self, caf::actor proxy,
                             std::string from_node,
                             std::shared_ptr<reply_log> log) {
  return {
    // Returns once all are sent, so that a test can wait for that.
    [=](std::size_t first, std::size_t last) {
      for (auto i = first; i < last; ++i) {
        message msg;
        msg.from = {from_node, kernel_pid};
        msg.topic = "note";
        msg.payload = std::to_string(i) + " ";
        if (i % request_every != request_every - 1) {
          self->send(proxy, msg);
          continue;
        }
        msg.kind = message_kind::request;
        msg.correlation_id = i + 1;
        auto deadline = std::chrono::steady_clock::now() + seconds{10};
        self->request(proxy, seconds{10}, remote_request{msg, deadline})
          .then(
            [log, i](message& reply) {
              std::lock_guard<std::mutex> guard{log->mutex};
              if (reply.kind == message_kind::reply)
                log->replied.push_back(i);
              else
                log->errors.push_back("request " + std::to_string(i)
                                      + " got a " + to_string(reply.kind));
            },
            [log, i](caf::error& error) {
              std::lock_guard<std::mutex> guard{log->mutex};
              log->errors.push_back("request " + std::to_string(i) + ": "
                                    + describe(error));
            });
      }
    },
  };
}

/// Returns the behavior of a gateway that never replies, so that its proxy
/// stays in its starting state until the test sends `started` itself.
caf::behavior silent_gateway(caf::event_based_actor* self) {
  self->set_default_handler(caf::drop);
  return {
    [](spawn_atom, const caf::actor&, const std::string&, spawn_request&) {},
  };
}

/// Nodes a and b, a probe on b, and a proxy on a whose spawn a silent
/// gateway holds.
struct held_proxy : member_pair {
  std::shared_ptr<agent_cell> cell = std::make_shared<agent_cell>();
  caf::actor gateway;
  caf::actor proxy;

  held_proxy() {
    // A pid that a's kernel does not know, which ignores the proxy's
    // `started` for it.
    cell->pid = 900'001;
    cell->agent_id = "held-proxy";
    cell->remote = true;
    // Hidden, as the node's own gateway: the node's shutdown does not wait
    // for them.
    gateway = a.instance->system().spawn<caf::hidden>(silent_gateway);
    spawn_request request;
    request.agent_id = "held-target";
    proxy = a.instance->system().spawn<remote::remote_proxy, caf::hidden>(
      cell, a.instance->shared_services(), a.service, gateway, "b", request);
  }

  ~held_proxy() {
    caf::anon_send(proxy, exited_atom::value,
                   exit_reason{exit_kind::normal, {}});
    caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
  }

  /// Spawns a hidden actor in a's system with `args`.
  template <class... Ts>
  caf::actor spawn_on_a(Ts&&... args) {
    return a.instance->system().spawn<caf::hidden>(std::forward<Ts>(args)...);
  }

  /// Confirms the spawn to the proxy as the gateway does, with `target`
  /// as the remote agent.
  void start(const global_pid& target) {
    caf::anon_send(proxy, started_atom::value, target);
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(proxy_keeps_order_across_start) {
  held_proxy fixture;
  auto target = fixture.spawn_on_b("held-ordered");
  auto log = std::make_shared<reply_log>();
  auto sender = fixture.spawn_on_a(ordered_sender, fixture.proxy,
                                   std::string{"a"}, log);
  constexpr std::size_t queued = 10'000;
  constexpr std::size_t racing = 12'000;
  constexpr std::size_t count = 12'200;
  caf::scoped_actor self{fixture.a.instance->system()};
  std::string failure;
  auto send_range = [&](std::size_t first, std::size_t last) {
    self->request(sender, seconds{10}, first, last)
      .receive([] {}, [&](caf::error& error) { failure = describe(error); });
    BOOST_TEST_REQUIRE(failure.empty(), failure);
  };

  // The first messages wait in the mailbox. The next ones are sent while
  // the proxy forwards the first, and must not overtake any of them. The
  // last ones find the mailbox empty and go on the sender's thread.
  send_range(0, queued);
  BOOST_TEST(fixture.cell->messages_in.load() == 0u);
  fixture.start(target);
  // Spins rather than sleeps, so that the next messages come while the
  // proxy is still forwarding the first ones.
  auto spin_until = std::chrono::steady_clock::now() + seconds{10};
  while (fixture.cell->messages_in.load() == 0
         && std::chrono::steady_clock::now() < spin_until)
    std::this_thread::yield();
  send_range(queued, racing);
  // The reply to the last request among them comes after the proxy
  // forwarded it.
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return log->size() == racing / request_every;
  }));
  auto before = fixture.a.service->unqueued_forwards();
  send_range(racing, count);

  auto order = arrived_indexes("held-ordered", count);
  BOOST_TEST_REQUIRE(order.size() == count);
  for (std::size_t i = 0; i < count; ++i)
    BOOST_TEST_REQUIRE(order[i] == i, "message " << i << " arrived as "
                                                 << order[i]);
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return log->size() == count / request_every;
  }), log->size() << " of " << count / request_every << " requests ended");
  BOOST_TEST(log->errors.empty(),
             (log->errors.empty() ? std::string{} : log->errors.front()));
  BOOST_TEST(fixture.cell->messages_in.load() == count);
  BOOST_TEST(fixture.cell->messages_out.load() == count);
  BOOST_TEST(fixture.a.service->unqueued_forwards() > before);
  caf::anon_send_exit(sender, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(running_proxy_forwards_on_sender_thread) {
  held_proxy fixture;
  fixture.start(fixture.spawn_on_b("held-echo"));
  // The first request may find `started` still in the mailbox and wait
  // behind it. Each later one finds the mailbox empty, because the proxy
  // forwarded the previous request before its reply came.
  caf::scoped_actor self{fixture.a.instance->system()};
  std::size_t replies = 0;
  std::string failure;
  for (int i = 0; i < 20; ++i) {
    message msg;
    msg.from = {"a", kernel_pid};
    msg.topic = "any-topic";
    msg.kind = message_kind::request;
    auto deadline = std::chrono::steady_clock::now() + seconds{5};
    self->request(fixture.proxy, seconds{5}, remote_request{msg, deadline})
      .receive([&](message& reply) { replies += reply.payload == "ack"; },
               [&](caf::error& error) { failure = describe(error); });
  }

  BOOST_TEST(failure.empty(), failure);
  BOOST_TEST(replies == 20u);
  BOOST_TEST(fixture.a.service->unqueued_forwards() >= 19u);
  BOOST_TEST(fixture.cell->messages_in.load() == 20u);
  BOOST_TEST(fixture.cell->messages_out.load() == 20u);
  BOOST_TEST(fixture.a.service->requests_waiting() == 0u);
}

BOOST_AUTO_TEST_CASE(restart_changes_proxy_target) {
  held_proxy fixture;
  auto first = fixture.spawn_on_b("held-first");
  auto second = fixture.spawn_on_b("held-second");
  fixture.start(first);
  caf::scoped_actor self{fixture.a.instance->system()};
  message msg;
  msg.from = {"a", kernel_pid};
  msg.topic = "note";
  msg.payload = "0 ";
  self->send(fixture.proxy, msg);
  BOOST_TEST_REQUIRE(poll_until(seconds{5}, [&] {
    return recorder_for("held-first")->count("message") == 1;
  }));

  // The kernel's restart, then a message from the same sender: the
  // message waits behind the restart and reaches the new agent.
  self->send(fixture.proxy, restart_atom::value, second);
  msg.payload = "1 ";
  self->send(fixture.proxy, msg);
  auto order = arrived_indexes("held-second", 1);
  BOOST_TEST_REQUIRE(order.size() == 1u);
  BOOST_TEST(order.front() == 1u);

  // And so does a request on the sender's thread later.
  msg.kind = message_kind::request;
  msg.topic = "any-topic";
  auto deadline = std::chrono::steady_clock::now() + seconds{5};
  std::string replier;
  self->request(fixture.proxy, seconds{5}, remote_request{msg, deadline})
    .receive([&](message& reply) { replier = to_string(reply.from); },
             [&](caf::error& error) { replier = describe(error); });
  BOOST_TEST(replier == to_string(second));
  BOOST_TEST(recorder_for("held-first")->count("message") == 1u);
}

BOOST_AUTO_TEST_CASE(proxy_of_left_node_fails_requests) {
  held_proxy fixture;
  fixture.start(fixture.spawn_on_b("held-gone"));
  caf::scoped_actor self{fixture.a.instance->system()};
  message msg;
  msg.from = {"a", kernel_pid};
  msg.topic = "any-topic";
  msg.kind = message_kind::request;
  auto ask = [&] {
    caf::expected<message> result{caf::error{}};
    auto deadline = std::chrono::steady_clock::now() + seconds{5};
    self->request(fixture.proxy, seconds{5}, remote_request{msg, deadline})
      .receive([&](message& reply) { result = std::move(reply); },
               [&](caf::error& error) { result = std::move(error); });
    return result;
  };
  auto warm = ask();
  BOOST_TEST_REQUIRE(static_cast<bool>(warm), error_text(warm));

  // The silent gateway does not end the proxy when b leaves, so the
  // proxy still runs and sends the request itself.
  fixture.b.reset();
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return static_cast<bool>(fixture.a.service->check_target("b"));
  }));
  auto reply = ask();

  BOOST_TEST_REQUIRE(!reply);
  auto failed = to_failure(reply.error());
  BOOST_TEST(std::string{to_string(failed.code)} == "node_unreachable",
             failed.detail);
  BOOST_TEST(failed.detail.find("node b") != std::string::npos,
             failed.detail);
  BOOST_TEST(fixture.a.service->requests_waiting() == 0u);

  // A cast that cannot be sent becomes a dead letter on a.
  msg.kind = message_kind::cast;
  self->send(fixture.proxy, msg);
  std::vector<dead_letter> letters;
  BOOST_TEST(poll_until(seconds{2}, [&] {
    letters = fixture.a.instance->dead_letters();
    return !letters.empty();
  }));
  BOOST_TEST_REQUIRE(letters.size() == 1u);
  BOOST_TEST(std::string{to_string(letters.front().reason)}
             == "unknown_target");
}

BOOST_AUTO_TEST_CASE(requests_to_silent_node_time_out) {
  held_proxy fixture;
  // A member without the Remote backend drops every message to it, so
  // only a's timer ends the requests.
  cluster_node silent;
  cluster_config settings;
  settings.node_id = "c";
  settings.listen_address = "tcp://127.0.0.1:0";
  settings.seeds = {fixture.a.cluster.listen_address()};
  auto error = silent.start(settings);
  BOOST_TEST_REQUIRE(!error, error->detail);
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return !fixture.a.service->check_target("c");
  }));
  fixture.start(global_pid{"c", 1});
  // Later requests have earlier deadlines, so each needs the timer armed
  // anew. CAF's own timeout of 5 s comes later, so the errors are the
  // table's.
  const std::vector<milliseconds> timeouts{milliseconds{1500},
                                           milliseconds{1000},
                                           milliseconds{250}};
  struct outcome {
    std::string error;
    long long elapsed_ms = -1;
  };
  auto outcomes = std::make_shared<std::vector<outcome>>(timeouts.size());
  auto mutex = std::make_shared<std::mutex>();
  auto start = std::chrono::steady_clock::now();
  auto requester = [=, proxy = fixture.proxy](caf::event_based_actor* self,
                                              std::size_t n) {
    message msg;
    msg.from = {"a", kernel_pid};
    msg.topic = "any-topic";
    msg.kind = message_kind::request;
    auto deadline = std::chrono::steady_clock::now() + timeouts[n];
    auto record = [=](std::string text) {
      std::lock_guard<std::mutex> guard{*mutex};
      (*outcomes)[n].error = std::move(text);
      (*outcomes)[n].elapsed_ms
        = as_milliseconds(std::chrono::steady_clock::now() - start);
    };
    self->request(proxy, seconds{5}, remote_request{msg, deadline})
      .then([=](message&) { record("a reply"); },
            [=](caf::error& error) { record(describe(error)); });
  };
  for (std::size_t n = 0; n < timeouts.size(); ++n)
    fixture.spawn_on_a(requester, n);
  BOOST_TEST_REQUIRE(poll_until(seconds{4}, [&] {
    std::lock_guard<std::mutex> guard{*mutex};
    for (const auto& ended : *outcomes)
      if (ended.elapsed_ms < 0)
        return false;
    return true;
  }));

  std::lock_guard<std::mutex> guard{*mutex};
  for (std::size_t n = 0; n < timeouts.size(); ++n) {
    const auto& ended = (*outcomes)[n];
    BOOST_TEST(ended.error.find("sent no reply within") != std::string::npos,
               ended.error);
    BOOST_TEST(ended.elapsed_ms >= timeouts[n].count() - 5,
               "request " << n << " ended after " << ended.elapsed_ms
                          << " ms");
  }
  // The request with the earliest deadline ends near it, not at the
  // deadline armed before it.
  BOOST_TEST((*outcomes)[2].elapsed_ms < 900,
             "ended after " << (*outcomes)[2].elapsed_ms << " ms");
  BOOST_TEST(fixture.a.service->requests_waiting() == 0u);
  silent.stop();
}
