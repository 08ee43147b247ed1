// Promised replies of the control endpoint: a handler that defers its reply
// frees its thread at once, and every promised reply reaches its client
// exactly once, also when the promise is dropped or the endpoint stops.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "endpoint_fixture.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// A handler that defers the reply of every request with "slow": true and
/// keeps the promises for the test, and replies to the others at once.
struct deferring_handler {
  std::mutex mutex;
  std::vector<std::shared_ptr<control_reply_promise>> promises;

  control_handler handler() {
    return [this](const json& request, control_request_context& context) {
      if (!request.value("slow", false))
        return make_ok_reply();
      std::lock_guard<std::mutex> lock{mutex};
      promises.push_back(context.defer_reply());
      return make_ok_reply();
    };
  }

  std::size_t count() {
    std::lock_guard<std::mutex> lock{mutex};
    return promises.size();
  }
};

/// Waits up to 5 s until `handler` has kept `count` promises.
bool wait_for_promises(deferring_handler& handler, std::size_t count) {
  for (int i = 0; i < 500 && handler.count() < count; ++i)
    std::this_thread::sleep_for(milliseconds{10});
  return handler.count() >= count;
}

void send_json(zmq::socket_t& socket, const json& request) {
  socket.send(zmq::buffer(request.dump()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(control_replies)

BOOST_AUTO_TEST_CASE(deferred_reply_frees_handler_thread) {
  deferring_handler slow;
  control_endpoint_config config;
  config.handler_threads = 1;
  endpoint_fixture fixture{slow.handler(), config};
  zmq::context_t context{1};
  auto socket = raw_socket(context, to_endpoint(fixture.address));

  for (int i = 0; i < 3; ++i)
    send_json(socket, {{"op", "x"}, {"slow", true}, {"id", i}});
  send_json(socket, {{"op", "x"}, {"id", 3}});

  // The fast request gets its reply while three slow ones wait, although
  // the endpoint has one handler thread.
  auto fast = receive_json(socket);
  BOOST_TEST(fast.value("ok", false), fast.dump());
  BOOST_TEST(fast.value("id", -1) == 3, fast.dump());
  BOOST_TEST(fixture.endpoint->counters().deferred_replies == 3u);

  BOOST_TEST_REQUIRE(wait_for_promises(slow, 3));
  for (int i = 0; i < 3; ++i) {
    auto reply = make_ok_reply();
    reply["n"] = i;
    BOOST_TEST(slow.promises[i]->deliver(reply));
    BOOST_TEST(!slow.promises[i]->deliver(make_ok_reply()));
  }
  for (int i = 0; i < 3; ++i) {
    auto reply = receive_json(socket);
    BOOST_TEST(reply.value("id", -1) == i, reply.dump());
    BOOST_TEST(reply.value("n", -1) == i, reply.dump());
  }
  BOOST_TEST(fixture.endpoint->counters().deferred_replies == 0u);
}

BOOST_AUTO_TEST_CASE(dropped_promise_sends_internal_error) {
  endpoint_fixture fixture{[](const json&, control_request_context& context) {
    context.defer_reply();
    return make_ok_reply();
  }};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "forgotten"}}, seconds{5});
  BOOST_TEST_REQUIRE(!reply);
  BOOST_TEST(reply.error().code == errc::internal_error);
  BOOST_TEST(reply.error().detail.find("forgotten") != std::string::npos,
             reply.error().detail);
}

BOOST_AUTO_TEST_CASE(error_after_defer_is_sent_at_once) {
  deferring_handler slow;
  endpoint_fixture fixture{[&slow](const json& request,
                                   control_request_context& context) -> json {
    slow.handler()(request, context);
    throw std::runtime_error("failed after deferring");
  }};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "x"}, {"slow", true}}, seconds{5});
  BOOST_TEST_REQUIRE(!reply);
  BOOST_TEST(reply.error().detail.find("failed after deferring")
               != std::string::npos,
             reply.error().detail);
  BOOST_TEST_REQUIRE(slow.count() == 1u);
  BOOST_TEST(!slow.promises[0]->deliver(make_ok_reply()));
}

BOOST_AUTO_TEST_CASE(stop_fails_deferred_replies) {
  deferring_handler slow;
  endpoint_fixture fixture{slow.handler()};
  zmq::context_t context{1};
  auto socket = raw_socket(context, to_endpoint(fixture.address));
  send_json(socket, {{"op", "x"}, {"slow", true}, {"id", 7}});
  BOOST_TEST_REQUIRE(wait_for_promises(slow, 1));

  fixture.endpoint.reset();
  auto reply = receive_json(socket);
  BOOST_TEST(error_code_of(reply) == "node_unreachable");
  BOOST_TEST(reply.value("id", -1) == 7, reply.dump());
  // The promise outlives the endpoint; delivering now sends nothing.
  BOOST_TEST(!slow.promises[0]->deliver(make_ok_reply()));
}

BOOST_AUTO_TEST_CASE(too_many_deferred_replies_are_rejected) {
  deferring_handler slow;
  control_endpoint_config config;
  config.max_deferred_replies = 2;
  // One handler thread keeps the promises in the order of their requests,
  // so that promises[0] belongs to request 0.
  config.handler_threads = 1;
  endpoint_fixture fixture{slow.handler(), config};
  zmq::context_t context{1};
  auto socket = raw_socket(context, to_endpoint(fixture.address));
  for (int i = 0; i < 2; ++i)
    send_json(socket, {{"op", "x"}, {"slow", true}, {"id", i}});
  BOOST_TEST_REQUIRE(wait_for_promises(slow, 2));

  send_json(socket, {{"op", "x"}, {"id", 2}});
  auto rejected = receive_json(socket);
  BOOST_TEST(error_code_of(rejected) == "resource_limit_exceeded");
  BOOST_TEST(rejected.value("id", -1) == 2, rejected.dump());

  slow.promises[0]->deliver(make_ok_reply());
  BOOST_TEST(receive_json(socket).value("id", -1) == 0);
  send_json(socket, {{"op", "x"}, {"id", 3}});
  auto accepted = receive_json(socket);
  BOOST_TEST(accepted.value("ok", false), accepted.dump());
  BOOST_TEST(accepted.value("id", -1) == 3, accepted.dump());
}

BOOST_AUTO_TEST_CASE(oversized_reply_becomes_error) {
  // A reply one byte above what the client accepts, as a handler whose
  // agent replied with a large payload would produce.
  control_handler large = [](const json&, control_request_context&) {
    auto reply = make_ok_reply();
    reply["payload"] = std::string(max_reply_bytes, 'x');
    return reply;
  };
  endpoint_fixture fixture{large};
  auto client = fixture.connect();
  auto reply = client->exchange({{"op", "x"}}, seconds{10});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), to_string(reply.error()));
  auto failure = reply_failure(*reply);
  BOOST_TEST_REQUIRE(failure.has_value(), reply->dump());
  BOOST_TEST(failure->code == errc::resource_limit_exceeded);
  BOOST_TEST(failure->detail.find(std::to_string(max_reply_bytes))
               != std::string::npos,
             failure->detail);

  // The connection still serves the next request.
  auto ping = client->exchange({{"op", "y"}}, seconds{10});
  BOOST_TEST(static_cast<bool>(ping));
}

BOOST_AUTO_TEST_SUITE_END()
