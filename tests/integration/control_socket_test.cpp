// The control socket of a real `corral node` process: its permissions,
// garbage from a raw ZeroMQ socket, a second node on the same path, and a
// clean stop on SIGTERM.

#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include <arpa/inet.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli_checks.hpp"
#include "net/control_client.hpp"
#include "node_process.hpp"

using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// A raw DEALER socket connected to a node's control socket.
class raw_client {
public:
  explicit raw_client(const std::string& path)
    : socket_(context_, zmq::socket_type::dealer) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.set(zmq::sockopt::rcvtimeo, 5000);
    socket_.connect("ipc://" + path);
  }

  /// Sends `frames` as one multipart message.
  void send(const std::vector<std::string>& frames) {
    for (std::size_t i = 0; i < frames.size(); ++i)
      socket_.send(zmq::buffer(frames[i]), i + 1 < frames.size()
                                             ? zmq::send_flags::sndmore
                                             : zmq::send_flags::none);
  }

  /// Receives one reply frame as JSON; a string when none arrives in 5 s.
  json receive() {
    zmq::message_t frame;
    if (!socket_.recv(frame))
      return "no reply within 5 s";
    return json::parse(frame.to_string(), nullptr, false);
  }

private:
  zmq::context_t context_{1};
  zmq::socket_t socket_;
};

/// Returns a loopback TCP port that was free a moment ago.
int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t size = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string error_code_of(const json& reply) {
  if (!reply.is_object() || !reply.contains("error"))
    return "not an error reply: " + reply.dump();
  return reply["error"].value("code", "");
}

} // namespace

BOOST_AUTO_TEST_SUITE(control_socket)

BOOST_AUTO_TEST_CASE(socket_is_private) {
  node_process node;
  struct stat socket_info {};
  BOOST_TEST_REQUIRE(::stat(node.control_path().c_str(), &socket_info) == 0);
  BOOST_TEST(S_ISSOCK(socket_info.st_mode));
  BOOST_TEST((socket_info.st_mode & 0777) == 0600u);
  BOOST_TEST(socket_info.st_uid == ::geteuid());
}

BOOST_AUTO_TEST_CASE(missing_directory_is_created_private) {
  temp_directory directory;
  auto path = directory.path() + "/run/corral/n.sock";
  background_process node{{corral_executable(), "node", "--id", "n",
                           "--control", path},
                          directory.path() + "/node"};
  command_result ping;
  for (int i = 0; i < 100; ++i) {
    ping = run_corral({"ping", "--control", path, "--connect-timeout", "200"});
    if (ping.exit_code == 0)
      break;
    std::this_thread::sleep_for(milliseconds{50});
  }
  BOOST_TEST_REQUIRE(ping.exit_code == 0, summary(ping));
  struct stat info {};
  BOOST_TEST_REQUIRE(
    ::stat((directory.path() + "/run/corral").c_str(), &info) == 0);
  BOOST_TEST((info.st_mode & 0777) == 0700u);
  BOOST_TEST(node.terminate(seconds{10}) == 0, node.err());
}

BOOST_AUTO_TEST_CASE(garbage_leaves_node_up) {
  node_process node;
  raw_client raw{node.control_path()};

  raw.send({"not json at all"});
  BOOST_TEST(error_code_of(raw.receive()) == "invalid_request");
  raw.send({"[1, 2, 3]"});
  BOOST_TEST(error_code_of(raw.receive()) == "invalid_request");
  raw.send({std::string("\xff\xfe\x00\x01", 4)});
  BOOST_TEST(error_code_of(raw.receive()) == "invalid_request");
  raw.send({"{\"op\":\"ping\"}", "a second frame", "and a third"});
  BOOST_TEST(error_code_of(raw.receive()) == "invalid_request");
  raw.send({""});
  BOOST_TEST(error_code_of(raw.receive()) == "invalid_request");
  raw.send({std::string(2 * 1024 * 1024, '{')});
  BOOST_TEST(error_code_of(raw.receive()) == "invalid_request");
  raw.send({R"({"op":"no_such_op","id":5})"});
  auto unknown = raw.receive();
  BOOST_TEST(error_code_of(unknown) == "invalid_request");
  BOOST_TEST(unknown.value("id", 0) == 5);
  raw.send({R"({"op":"stop","target":"x","grace_ms":-1})"});
  BOOST_TEST(error_code_of(raw.receive()) == "invalid_request");
  raw.send({R"({"op":"ps","colour":"blue"})"});
  auto unknown_field = raw.receive();
  BOOST_TEST(unknown_field.dump().find("request.colour") != std::string::npos,
             unknown_field.dump());

  // The same connection and a new CLI both still get replies.
  raw.send({R"({"op":"ping","id":9})"});
  auto pong = raw.receive();
  BOOST_TEST(pong.value("ok", false), pong.dump());
  BOOST_TEST(pong.value("id", 0) == 9);
  auto ping = node.corral({"ping"});
  BOOST_TEST(ping.exit_code == 0, summary(ping));
  BOOST_TEST(node.process().running());

  auto stats = parse_stdout(node.corral({"stats", "--json"}));
  BOOST_TEST(stats["control"]["malformed_json"] == 4);
  BOOST_TEST(stats["control"]["bad_frame_counts"] == 1);
  BOOST_TEST(stats["control"]["oversized_frames"] == 1);
}

BOOST_AUTO_TEST_CASE(slow_requests_leave_ping_answered) {
  // More requests wait for a suspended agent than the node has handler
  // threads (4), yet ping and ps get their replies at once.
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "c1", "--type", "counter"})
                       .exit_code
                     == 0);
  BOOST_TEST_REQUIRE(node.corral({"suspend", "c1"}).exit_code == 0);
  raw_client raw{node.control_path()};
  constexpr int slow_requests = 6;
  for (int i = 0; i < slow_requests; ++i)
    raw.send({json{{"op", "send"}, {"id", i}, {"target", "c1"},
                   {"topic", "increment"}, {"timeout_ms", 20'000}}
                .dump()});

  auto start = std::chrono::steady_clock::now();
  raw.send({R"({"op":"ping","id":100})"});
  auto pong = raw.receive();
  BOOST_TEST(pong.value("id", 0) == 100, pong.dump());
  BOOST_TEST(as_milliseconds(std::chrono::steady_clock::now() - start) < 2000);
  auto ps = node.corral({"ps"}, seconds{5});
  BOOST_TEST(ps.exit_code == 0, summary(ps));

  // Resuming delivers the held increments, and every request gets its reply.
  BOOST_TEST_REQUIRE(node.corral({"resume", "c1"}).exit_code == 0);
  std::vector<bool> replied(slow_requests, false);
  for (int i = 0; i < slow_requests; ++i) {
    auto reply = raw.receive();
    BOOST_TEST(reply.value("ok", false), reply.dump());
    auto id = reply.value("id", -1);
    if (id >= 0 && id < slow_requests)
      replied[id] = true;
  }
  for (int i = 0; i < slow_requests; ++i)
    BOOST_TEST(replied[i], "no reply to request " << i);
}

BOOST_AUTO_TEST_CASE(fd_limit_rejects_work_without_abort) {
  // With 64 descriptors an idle node uses about 14, so 80 clients take all
  // of them. Without the accept guard, libzmq would abort the node once
  // accept() fails with EMFILE.
  temp_directory directory;
  auto path = directory.path() + "/n.sock";
  background_process node{{"/bin/sh", "-c",
                           "ulimit -n 64 && exec \"$0\" node --id fds "
                           "--control \"$1\" --threads 2",
                           corral_executable(), path},
                          directory.path() + "/node"};
  command_result ping;
  for (int i = 0; i < 100 && ping.exit_code != 0; ++i) {
    ping = run_corral({"ping", "--control", path, "--connect-timeout", "200"});
    if (ping.exit_code != 0)
      std::this_thread::sleep_for(milliseconds{50});
  }
  BOOST_TEST_REQUIRE(ping.exit_code == 0, summary(ping) << node.err());

  zmq::context_t context{1};
  std::vector<zmq::socket_t> clients;
  auto add_client = [&] {
    clients.emplace_back(context, zmq::socket_type::dealer);
    clients.back().set(zmq::sockopt::linger, 0);
    clients.back().set(zmq::sockopt::rcvtimeo, 5000);
    clients.back().connect("ipc://" + path);
  };
  auto ping_first_client = [&] {
    clients.front().send(zmq::str_buffer(R"({"op":"ping","id":1})"));
    zmq::message_t frame;
    if (!clients.front().recv(frame))
      return json{"no reply within 5 s"};
    return json::parse(frame.to_string(), nullptr, false);
  };
  add_client();
  BOOST_TEST_REQUIRE(ping_first_client().value("ok", false), node.err());

  // All at once: the node closes the connections it has no room for.
  for (int i = 1; i < 80; ++i)
    add_client();
  auto refused = [&] {
    return node.err().find("new connections at once") != std::string::npos;
  };
  for (int i = 0; i < 100 && node.running() && !refused(); ++i)
    std::this_thread::sleep_for(milliseconds{50});
  BOOST_TEST_REQUIRE(node.running(), node.err());
  BOOST_TEST(refused(), node.err());

  // A client that is connected gets an error that names the cause.
  auto reply = ping_first_client();
  BOOST_TEST(error_code_of(reply) == "resource_limit_exceeded", node.err());
  BOOST_TEST(reply.dump().find("file descriptors open") != std::string::npos,
             reply.dump());

  // Once the clients are gone, the node takes requests again.
  clients.clear();
  ping = command_result{};
  for (int i = 0; i < 100 && ping.exit_code != 0; ++i) {
    ping = run_corral({"ping", "--control", path, "--connect-timeout", "200"});
    if (ping.exit_code != 0)
      std::this_thread::sleep_for(milliseconds{50});
  }
  BOOST_TEST(ping.exit_code == 0, summary(ping) << node.err());
  auto stats = parse_stdout(
    run_corral({"stats", "--json", "--control", path}));
  BOOST_TEST(stats["control"].value("connections_refused", 0) > 0,
             stats.dump());
  BOOST_TEST(node.terminate(seconds{10}) == 0, node.err());
}

BOOST_AUTO_TEST_CASE(second_node_on_same_path_is_rejected) {
  node_process node;
  auto second = run_command({corral_executable(), "node", "--id", "other",
                             "--control", node.control_path()},
                            seconds{10});
  BOOST_TEST(second.exit_code == 1, summary(second));
  BOOST_TEST(second.err.find("already listens") != std::string::npos,
             second.err);
  BOOST_TEST(node.corral({"ping"}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(stale_socket_is_replaced) {
  temp_directory directory;
  auto path = directory.path() + "/n.sock";
  make_stale_socket(path);
  background_process node{{corral_executable(), "node", "--id", "n",
                           "--control", path},
                          directory.path() + "/node"};
  command_result ping;
  for (int i = 0; i < 100; ++i) {
    ping = run_corral({"ping", "--control", path, "--connect-timeout", "200"});
    if (ping.exit_code == 0)
      break;
    std::this_thread::sleep_for(milliseconds{50});
  }
  BOOST_TEST(ping.exit_code == 0, summary(ping) << node.err());
}

BOOST_AUTO_TEST_CASE(tcp_control_requires_token) {
  temp_directory directory;
  auto token_file = directory.path() + "/token";
  std::ofstream{token_file} << "correct-horse\n";
  auto wrong_file = directory.path() + "/wrong";
  std::ofstream{wrong_file} << "battery-staple\n";
  auto address = "tcp://127.0.0.1:" + std::to_string(free_tcp_port());

  background_process node{{corral_executable(), "node", "--id", "tcp",
                           "--control", address, "--token-file", token_file},
                          directory.path() + "/node"};
  command_result ping;
  for (int i = 0; i < 100; ++i) {
    ping = run_corral({"ping", "--control", address, "--token-file",
                       token_file});
    if (ping.exit_code == 0)
      break;
    std::this_thread::sleep_for(milliseconds{50});
  }
  BOOST_TEST(ping.exit_code == 0, summary(ping) << node.err());

  auto wrong = run_corral({"ps", "--control", address, "--token-file",
                           wrong_file});
  BOOST_TEST(wrong.exit_code == 1, summary(wrong));
  BOOST_TEST(wrong.err.find("capability_denied") != std::string::npos,
             wrong.err);
  BOOST_TEST(wrong.err.find("read from --token-file " + wrong_file)
               != std::string::npos,
             wrong.err);
  auto missing = run_corral({"ps", "--control", address, "--token-file",
                             directory.path() + "/absent"});
  BOOST_TEST(missing.exit_code == 2, summary(missing));
  BOOST_TEST(node.terminate(seconds{10}) == 0, node.err());
}

BOOST_AUTO_TEST_CASE(sigterm_stops_node_and_removes_socket) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1"}).exit_code == 0);
  auto watch = node.start_corral({"watch", "--timeout", "20000"}, "watch");
  // Give the watch time to subscribe; an early stop is also fine below.
  std::this_thread::sleep_for(milliseconds{300});

  auto code = node.process().terminate(seconds{15});
  BOOST_TEST(code == 0, node.process().err());
  struct stat info {};
  BOOST_TEST(::stat(node.control_path().c_str(), &info) != 0);
  BOOST_TEST(node.process().err().find("node stopped") != std::string::npos,
             node.process().err());

  // The watch learns that the node stopped: an end frame or no heartbeats.
  BOOST_TEST(watch->wait_for_exit(seconds{10}) == 3, watch->err());
}

BOOST_AUTO_TEST_CASE(unknown_operation_lists_every_operation) {
  node_process node;
  raw_client raw{node.control_path()};
  raw.send({R"({"op":"bogus"})"});
  auto reply = raw.receive();
  BOOST_TEST(error_code_of(reply) == "invalid_request", reply.dump());
  auto detail = reply.dump();
  for (const char* op : {"cancel", "nodes", "ping", "watch"})
    BOOST_TEST(detail.find(op) != std::string::npos, op << ": " << detail);
}

BOOST_AUTO_TEST_CASE(stop_grace_above_maximum_is_rejected) {
  node_process node;
  BOOST_TEST_REQUIRE(node.corral({"spawn", "--id", "w1"}).exit_code == 0);
  raw_client raw{node.control_path()};

  raw.send({R"({"op":"stop","target":"w1","grace_ms":86400001})"});
  auto rejected = raw.receive();
  BOOST_TEST(error_code_of(rejected) == "invalid_request", rejected.dump());
  BOOST_TEST(rejected.dump().find("grace_ms") != std::string::npos,
             rejected.dump());
  BOOST_TEST(node.corral({"ps"}).out.find("w1") != std::string::npos);

  // The maximum grace period waits for the agent's own exit instead of
  // killing it at once, as an overflowing timer did.
  raw.send({R"({"op":"stop","target":"w1","grace_ms":86400000})"});
  auto stopped = raw.receive();
  BOOST_TEST(stopped.value("ok", false), stopped.dump());
  BOOST_TEST(stopped.dump().find("shutdown") != std::string::npos,
             stopped.dump());
  BOOST_TEST(node.process().err().find("grace period ended")
               == std::string::npos,
             node.process().err());
}

BOOST_AUTO_TEST_CASE(second_sigterm_keeps_clean_stop) {
  // timeout(1) sends SIGTERM to the node and to its process group. The
  // second one must not end the node half-way through its stop. A cluster
  // node with agents takes some milliseconds to stop, and the second
  // signal is sent as soon as the log shows that the first one arrived.
  node_process node{"twice", {"--listen", "tcp://127.0.0.1:0", "--insecure"}};
  for (int i = 0; i < 20; ++i)
    BOOST_TEST_REQUIRE(
      node.corral({"spawn", "--id", "w" + std::to_string(i)}).exit_code == 0);

  auto pid = node.process().pid();
  BOOST_TEST_REQUIRE(::kill(pid, SIGTERM) == 0);
  auto deadline = std::chrono::steady_clock::now() + seconds{10};
  while (node.process().err().find("received SIGTERM; stopping")
           == std::string::npos
         && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds{200});
  ::kill(pid, SIGTERM);

  BOOST_TEST(node.process().wait_for_exit(seconds{15}) == 0,
             node.process().err());
  BOOST_TEST(node.process().err().find("node stopped") != std::string::npos,
             node.process().err());
  struct stat info {};
  BOOST_TEST(::stat(node.control_path().c_str(), &info) != 0);
}

BOOST_AUTO_TEST_CASE(two_watches_of_one_client_see_each_event_once) {
  node_process node;
  corral::control_address address;
  address.path = node.control_path();
  auto client = corral::control_client::connect(address, {});
  BOOST_TEST_REQUIRE(static_cast<bool>(client));
  std::vector<std::uint64_t> streams;
  for (int i = 0; i < 2; ++i) {
    auto reply = (*client)->request({{"op", "watch"}}, seconds{5});
    BOOST_TEST_REQUIRE(static_cast<bool>(reply));
    streams.push_back((*reply)["stream"].get<std::uint64_t>());
  }
  auto spawned = (*client)->request(
    {{"op", "spawn"}, {"request", {{"agent_id", "twice"}}}}, seconds{5});
  BOOST_TEST_REQUIRE(static_cast<bool>(spawned));

  for (auto stream : streams) {
    int changes = 0;
    auto deadline = std::chrono::steady_clock::now() + milliseconds{1500};
    while (std::chrono::steady_clock::now() < deadline) {
      auto frame = (*client)->next_stream_frame(stream, milliseconds{300});
      if (!frame)
        continue;
      BOOST_TEST((*frame)["stream"] == stream);
      if ((*frame)["event"] == "state_change"
          && (*frame)["change"]["agent_id"] == "twice")
        ++changes;
    }
    BOOST_TEST(changes == 1, "stream " << stream);
  }
}

BOOST_AUTO_TEST_CASE(signal_during_start_up_stops_cleanly) {
  // The SIGTERM is pending from the node's first instruction on, so it
  // arrives during start-up on every run, however fast the machine is.
  temp_directory directory;
  auto path = directory.path() + "/n.sock";
  background_process node{{corral_executable(), "node", "--id", "early",
                           "--control", path},
                          directory.path() + "/node", SIGTERM};
  BOOST_TEST(node.wait_for_exit(seconds{10}) == 0, node.err());
  BOOST_TEST(node.err().find("received SIGTERM during start-up")
               != std::string::npos,
             node.err());
  BOOST_TEST(node.err().find("node ready") == std::string::npos, node.err());
  struct stat info {};
  BOOST_TEST(::stat(path.c_str(), &info) != 0);
}

BOOST_AUTO_TEST_SUITE_END()
