// The control endpoint and its client over real ZeroMQ sockets, with a
// test handler instead of a node: request checks, tokens, streams, busy
// handling and stopping.

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <sys/stat.h>

#include "endpoint_fixture.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

BOOST_AUTO_TEST_SUITE(control_endpoint_tests)

BOOST_AUTO_TEST_CASE(reply_carries_request_id) {
  endpoint_fixture fixture;
  auto client = fixture.connect();
  auto reply = client->request({{"op", "ping"}, {"x", 1}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), to_string(reply.error()));
  BOOST_TEST((*reply)["echo"]["op"] == "ping");
  BOOST_TEST((*reply)["echo"]["x"] == 1);
  BOOST_TEST((*reply)["id"] == (*reply)["echo"]["id"]);
  BOOST_TEST(fixture.endpoint->counters().requests == 1u);
}

BOOST_AUTO_TEST_CASE(socket_file_is_0600) {
  endpoint_fixture fixture;
  struct stat info {};
  BOOST_TEST_REQUIRE(::stat(fixture.address.path.c_str(), &info) == 0);
  BOOST_TEST((info.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(stop_removes_socket_file) {
  endpoint_fixture fixture;
  fixture.endpoint.reset();
  struct stat info {};
  BOOST_TEST(::stat(fixture.address.path.c_str(), &info) != 0);
}

BOOST_AUTO_TEST_CASE(malformed_frames_get_error_replies) {
  endpoint_fixture fixture;
  zmq::context_t context{1};
  auto socket = raw_socket(context, to_endpoint(fixture.address));

  socket.send(zmq::str_buffer("{\"op\":"));
  BOOST_TEST(error_code_of(receive_json(socket)) == "invalid_request");
  socket.send(zmq::str_buffer("\"just a string\""));
  BOOST_TEST(error_code_of(receive_json(socket)) == "invalid_request");
  socket.send(zmq::str_buffer("{}"), zmq::send_flags::sndmore);
  socket.send(zmq::str_buffer("{}"));
  BOOST_TEST(error_code_of(receive_json(socket)) == "invalid_request");
  std::string oversized(max_request_bytes + 1, ' ');
  socket.send(zmq::buffer(oversized));
  auto too_big = receive_json(socket);
  BOOST_TEST(error_code_of(too_big) == "invalid_request");
  BOOST_TEST(too_big.dump().find("at most 1048576") != std::string::npos,
             too_big.dump());

  auto counters = fixture.endpoint->counters();
  BOOST_TEST(counters.malformed_json == 2u);
  BOOST_TEST(counters.bad_frame_counts == 1u);
  BOOST_TEST(counters.oversized_frames == 1u);
  BOOST_TEST(counters.requests == 0u);

  // The endpoint still serves the same connection.
  socket.send(zmq::str_buffer("{\"op\":\"ping\"}"));
  BOOST_TEST(receive_json(socket).value("ok", false));
}

BOOST_AUTO_TEST_CASE(nul_byte_in_request_is_rejected) {
  endpoint_fixture fixture;
  zmq::context_t context{1};
  auto socket = raw_socket(context, to_endpoint(fixture.address));

  // Without the check, the parser would stop at the NUL and run "ping".
  const std::string body{"{\"op\":\"ping\"}\0{\"op\":\"stop\"}", 27};
  socket.send(zmq::buffer(body));
  auto reply = receive_json(socket);
  BOOST_TEST(error_code_of(reply) == "invalid_request");
  BOOST_TEST(reply.dump().find("at byte 14: a NUL byte") != std::string::npos,
             reply.dump());
  BOOST_TEST(fixture.endpoint->counters().malformed_json == 1u);
  BOOST_TEST(fixture.endpoint->counters().requests == 0u);
}

BOOST_AUTO_TEST_CASE(req_socket_gets_delimited_reply) {
  endpoint_fixture fixture;
  zmq::context_t context{1};
  auto socket = raw_socket(context, to_endpoint(fixture.address),
                           zmq::socket_type::req);
  socket.send(zmq::str_buffer("{\"op\":\"ping\"}"));
  auto reply = receive_json(socket);
  BOOST_TEST(reply.value("ok", false), reply.dump());
}

BOOST_AUTO_TEST_CASE(handler_exception_becomes_internal_error) {
  endpoint_fixture fixture{[](const json&, control_request_context&) -> json {
    throw std::runtime_error("handler broke");
  }};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "ping"}}, seconds{5});
  BOOST_TEST_REQUIRE(!reply);
  BOOST_TEST(reply.error().code == errc::internal_error);
  BOOST_TEST(reply.error().detail.find("handler broke") != std::string::npos);
  BOOST_TEST(fixture.endpoint->counters().handler_exceptions == 1u);

  // The handler thread survived.
  BOOST_TEST(!client->request({{"op", "ping"}}, seconds{5}));
  BOOST_TEST(fixture.endpoint->counters().handler_exceptions == 2u);
}

BOOST_AUTO_TEST_CASE(tcp_requires_token) {
  control_endpoint_config config;
  config.address.transport = control_transport::tcp;
  config.address.host = "127.0.0.1";
  auto without_token = control_endpoint::start(config, echo_handler);
  BOOST_TEST_REQUIRE(!without_token);
  BOOST_TEST(without_token.error().code == errc::invalid_request);

  config.token = "secret-token";
  auto started = control_endpoint::start(config, echo_handler);
  BOOST_TEST_REQUIRE(static_cast<bool>(started), to_string(started.error()));
  auto& endpoint = *started;
  auto address = parse_control_address(endpoint->endpoint());
  BOOST_TEST_REQUIRE(static_cast<bool>(address));
  BOOST_TEST(address->port != 0);

  auto anonymous = control_client::connect(*address, {});
  BOOST_TEST_REQUIRE(static_cast<bool>(anonymous));
  auto rejected = (*anonymous)->request({{"op", "ping"}}, seconds{5});
  BOOST_TEST_REQUIRE(!rejected);
  BOOST_TEST(rejected.error().code == errc::capability_denied);

  control_client_options wrong;
  wrong.token = "secret-tokem";
  auto guesser = control_client::connect(*address, wrong);
  BOOST_TEST(!(*guesser)->request({{"op", "ping"}}, seconds{5}));
  BOOST_TEST(endpoint->counters().rejected_tokens == 2u);

  control_client_options right;
  right.token = "secret-token";
  auto owner = control_client::connect(*address, right);
  auto reply = (*owner)->request({{"op", "ping"}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), to_string(reply.error()));
  BOOST_TEST(!(*reply)["echo"].contains("token"));
}

BOOST_AUTO_TEST_CASE(non_loopback_addresses_rejected) {
  for (const char* text : {"tcp://0.0.0.0:7000", "tcp://*:7000",
                           "tcp://192.168.1.4:7000", "tcp://example.com:1",
                           "udp://127.0.0.1:1", "tcp://127.0.0.1:99999"}) {
    auto address = parse_control_address(text);
    BOOST_TEST(!address, text);
    if (!address)
      BOOST_TEST(address.error().code == errc::invalid_request, text);
  }
  auto loopback = parse_control_address("tcp://localhost:7000");
  BOOST_TEST_REQUIRE(static_cast<bool>(loopback));
  BOOST_TEST(loopback->host == "127.0.0.1");
  BOOST_TEST(loopback->port == 7000);
  auto path = parse_control_address("/run/x.sock");
  BOOST_TEST_REQUIRE(static_cast<bool>(path));
  BOOST_TEST(path->path == "/run/x.sock");
}

BOOST_AUTO_TEST_CASE(client_reports_missing_node_at_once) {
  temp_directory directory;
  control_address address;
  address.path = directory.path() + "/absent.sock";
  auto client = control_client::connect(address, {});
  BOOST_TEST_REQUIRE(!client);
  BOOST_TEST(client.error().code == errc::node_unreachable);
}

BOOST_AUTO_TEST_CASE(late_reply_is_discarded) {
  endpoint_fixture fixture{[](const json& request, control_request_context&) {
    if (request.value("slow", false))
      std::this_thread::sleep_for(milliseconds{300});
    auto reply = make_ok_reply();
    reply["slow"] = request.value("slow", false);
    return reply;
  }};
  auto client = fixture.connect();
  auto slow = client->request({{"op", "x"}, {"slow", true}}, milliseconds{50});
  BOOST_TEST_REQUIRE(!slow);
  BOOST_TEST(slow.error().code == errc::node_unreachable);
  std::this_thread::sleep_for(milliseconds{400});
  auto fast = client->request({{"op", "x"}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(fast), to_string(fast.error()));
  BOOST_TEST((*fast)["slow"] == false);
}

BOOST_AUTO_TEST_CASE(busy_endpoint_rejects_excess_requests) {
  std::mutex mutex;
  std::condition_variable released;
  bool release = false;
  std::atomic<bool> entered{false};
  control_endpoint_config config;
  config.handler_threads = 1;
  config.max_pending_requests = 1;
  endpoint_fixture fixture{[&](const json&, control_request_context&) {
                             entered = true;
                             std::unique_lock<std::mutex> lock{mutex};
                             released.wait_for(lock, seconds{5},
                                               [&] { return release; });
                             return make_ok_reply();
                           },
                           config};
  zmq::context_t context{1};
  auto socket = raw_socket(context, to_endpoint(fixture.address));

  // Request 0 runs, request 1 waits, request 2 is rejected at once.
  socket.send(zmq::buffer(json{{"op", "x"}, {"id", 0}}.dump()));
  BOOST_TEST_REQUIRE(eventually(entered));
  for (int i = 1; i < 3; ++i)
    socket.send(zmq::buffer(json{{"op", "x"}, {"id", i}}.dump()));
  auto rejected = receive_json(socket);
  BOOST_TEST(error_code_of(rejected) == "resource_limit_exceeded");
  BOOST_TEST(rejected.value("id", -1) == 2);
  {
    std::lock_guard<std::mutex> lock{mutex};
    release = true;
  }
  released.notify_all();
  BOOST_TEST(receive_json(socket).value("ok", false));
  BOOST_TEST(receive_json(socket).value("ok", false));
  BOOST_TEST(fixture.endpoint->counters().busy_rejections == 1u);
}

/// A handler that opens a stream on "watch" and keeps it for the test.
struct stream_recorder {
  std::mutex mutex;
  std::shared_ptr<control_stream> stream;
  std::atomic<bool> closed{false};
  /// Events to post before the handler returns its reply.
  int early_events = 0;

  control_handler handler() {
    return [this](const json&, control_request_context& context) {
      auto opened = context.open_stream([this] { closed = true; });
      for (int i = 0; i < early_events; ++i)
        opened->post({{"event", "tick"}, {"n", i}});
      std::lock_guard<std::mutex> lock{mutex};
      stream = opened;
      return make_ok_reply();
    };
  }

  std::shared_ptr<control_stream> get() {
    std::lock_guard<std::mutex> lock{mutex};
    return stream;
  }
};

BOOST_AUTO_TEST_CASE(stream_frames_follow_reply_in_order) {
  stream_recorder recorder;
  recorder.early_events = 3;
  endpoint_fixture fixture{recorder.handler()};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "watch"}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), to_string(reply.error()));
  auto stream_id = (*reply)["stream"].get<std::uint64_t>();

  recorder.get()->post({{"event", "tick"}, {"n", 3}});
  for (int i = 0; i < 4;) {
    auto frame = client->next_stream_frame(stream_id, seconds{5});
    BOOST_TEST_REQUIRE(static_cast<bool>(frame), to_string(frame.error()));
    BOOST_TEST((*frame)["stream"] == stream_id);
    if ((*frame)["event"] == "heartbeat")
      continue;
    BOOST_TEST((*frame)["event"] == "tick");
    BOOST_TEST((*frame)["n"] == i);
    ++i;
  }
  BOOST_TEST(fixture.endpoint->counters().streams_opened == 1u);
}

BOOST_AUTO_TEST_CASE(posting_from_many_threads_delivers_every_frame) {
  stream_recorder recorder;
  endpoint_fixture fixture{recorder.handler()};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "watch"}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), to_string(reply.error()));
  auto stream_id = (*reply)["stream"].get<std::uint64_t>();
  auto stream = recorder.get();

  constexpr int threads = 4;
  constexpr int per_thread = 250;
  std::vector<std::thread> producers;
  for (int t = 0; t < threads; ++t)
    producers.emplace_back([&stream, t] {
      for (int i = 0; i < per_thread; ++i)
        stream->post({{"event", "tick"}, {"thread", t}, {"n", i}});
    });
  for (auto& producer : producers)
    producer.join();

  std::vector<int> next(threads, 0);
  int received = 0;
  while (received < threads * per_thread) {
    auto frame = client->next_stream_frame(stream_id, seconds{5});
    BOOST_TEST_REQUIRE(static_cast<bool>(frame), to_string(frame.error()));
    if ((*frame)["event"] != "tick")
      continue;
    auto thread = (*frame)["thread"].get<int>();
    // Frames of one producer keep their order.
    BOOST_TEST((*frame)["n"] == next[thread]);
    ++next[thread];
    ++received;
  }
  BOOST_TEST(received == threads * per_thread);
}

BOOST_AUTO_TEST_CASE(two_streams_of_one_client_stay_apart) {
  std::mutex mutex;
  std::vector<std::shared_ptr<control_stream>> streams;
  control_endpoint_config config;
  config.heartbeat_interval = seconds{60};
  endpoint_fixture fixture{[&](const json&, control_request_context& context) {
                             auto opened = context.open_stream([] {});
                             std::lock_guard<std::mutex> lock{mutex};
                             streams.push_back(opened);
                             return make_ok_reply();
                           },
                           config};
  auto client = fixture.connect();
  auto first = client->request({{"op", "watch"}}, seconds{5});
  auto second = client->request({{"op", "watch"}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(first));
  BOOST_TEST_REQUIRE(static_cast<bool>(second));
  {
    std::lock_guard<std::mutex> lock{mutex};
    BOOST_TEST_REQUIRE(streams.size() == 2u);
    for (auto& stream : streams)
      stream->post({{"event", "tick"}});
  }

  for (const auto& reply : {*first, *second}) {
    auto id = reply["stream"].get<std::uint64_t>();
    auto tick = client->next_stream_frame(id, seconds{5});
    BOOST_TEST_REQUIRE(static_cast<bool>(tick), to_string(tick.error()));
    BOOST_TEST((*tick)["stream"] == id);
    BOOST_TEST((*tick)["event"] == "tick");
    auto again = client->next_stream_frame(id, milliseconds{200});
    BOOST_TEST(!again, "stream " << id << " got a second frame: "
                                 << (again ? again->dump() : ""));
  }
}

BOOST_AUTO_TEST_CASE(gone_client_drops_stream) {
  stream_recorder recorder;
  control_endpoint_config config;
  config.heartbeat_interval = milliseconds{50};
  endpoint_fixture fixture{recorder.handler(), config};
  {
    auto client = fixture.connect();
    auto reply = client->request({{"op", "watch"}}, seconds{5});
    BOOST_TEST_REQUIRE(static_cast<bool>(reply), to_string(reply.error()));
    auto heartbeat = client->next_stream_frame(
      (*reply)["stream"].get<std::uint64_t>(), seconds{5});
    BOOST_TEST_REQUIRE(static_cast<bool>(heartbeat));
    BOOST_TEST((*heartbeat)["event"] == "heartbeat");
  }
  BOOST_TEST(eventually(recorder.closed));
  BOOST_TEST(!recorder.get()->post({{"event", "tick"}}));
  BOOST_TEST(fixture.endpoint->counters().streams_dropped == 1u);
}

BOOST_AUTO_TEST_CASE(cancel_closes_stream) {
  stream_recorder recorder;
  endpoint_fixture fixture{recorder.handler()};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "watch"}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply));
  auto stream_id = (*reply)["stream"].get<std::uint64_t>();

  auto wrong = client->request({{"op", "cancel"}, {"stream", 999}},
                               seconds{5});
  BOOST_TEST(!wrong);
  BOOST_TEST(!recorder.closed);

  auto cancelled = client->request({{"op", "cancel"}, {"stream", stream_id}},
                                   seconds{5});
  BOOST_TEST(static_cast<bool>(cancelled));
  BOOST_TEST(recorder.closed);
  auto end = client->next_stream_frame(stream_id, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(end));
  BOOST_TEST((*end)["event"] == "end");
  BOOST_TEST((*end)["reason"] == "cancelled by the client");
}

BOOST_AUTO_TEST_CASE(error_reply_drops_stream) {
  std::atomic<bool> closed{false};
  endpoint_fixture fixture{[&](const json&, control_request_context& context) {
    context.open_stream([&] { closed = true; });
    return make_error_reply({errc::invalid_request, "no"});
  }};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "watch"}}, seconds{5});
  BOOST_TEST(!reply);
  BOOST_TEST(closed);
}

BOOST_AUTO_TEST_CASE(stop_ends_streams_with_end_frame) {
  stream_recorder recorder;
  endpoint_fixture fixture{recorder.handler()};
  auto client = fixture.connect();
  auto reply = client->request({{"op", "watch"}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(reply), to_string(reply.error()));
  auto stream_id = (*reply)["stream"].get<std::uint64_t>();

  auto start = std::chrono::steady_clock::now();
  fixture.endpoint.reset();
  auto elapsed = std::chrono::duration_cast<milliseconds>(
    std::chrono::steady_clock::now() - start);
  BOOST_TEST(elapsed.count() < 2000);
  BOOST_TEST(recorder.closed);
  auto end = client->next_stream_frame(stream_id, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(end), to_string(end.error()));
  BOOST_TEST((*end)["event"] == "end");
  BOOST_TEST((*end)["reason"] == "the node is stopping");
}

BOOST_AUTO_TEST_SUITE_END()
