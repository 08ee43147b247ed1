// Bad input to a cluster node. A raw ZeroMQ socket sends garbage,
// truncated and oversized frames and wrong protocol versions, and a client
// connects with a Curve key the node does not list. The CLI gets invalid
// cluster options and configuration files.

#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "remote_cluster.hpp"
#include "serialization/wire_frame.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

/// The fields of a header that the bad frames below vary.
struct header_fields {
  std::uint16_t version = wire_protocol_version;
  frame_kind kind = frame_kind::heartbeat;
  std::uint32_t body_size = 0;
  lane on = lane::control;
  std::uint32_t chunk_count = 1;
};

std::string header_bytes(const header_fields& fields) {
  frame_header header;
  header.version = fields.version;
  header.kind = static_cast<std::uint8_t>(fields.kind);
  header.lane = static_cast<std::uint8_t>(fields.on);
  header.chunk_count = fields.chunk_count;
  header.body_size = fields.body_size;
  return encode_frame_header(header);
}

std::string header_bytes(std::uint16_t version, frame_kind kind,
                         std::uint32_t body_size) {
  header_fields fields;
  fields.version = version;
  fields.kind = kind;
  fields.body_size = body_size;
  return header_bytes(fields);
}

std::string random_bytes(std::mt19937& random, std::size_t size) {
  std::string bytes(size, '\0');
  for (auto& c : bytes)
    c = static_cast<char>(random());
  return bytes;
}

/// A raw DEALER that sends whatever it is given to a node's ROUTER.
struct raw_peer {
  zmq::socket_t socket;

  raw_peer(zmq::context_t& context, const std::string& identity)
    : socket(context, zmq::socket_type::dealer) {
    socket.set(zmq::sockopt::routing_id, identity);
    socket.set(zmq::sockopt::linger, 0);
  }

  raw_peer(zmq::context_t& context, const std::string& identity,
           const std::string& address)
    : raw_peer(context, identity) {
    socket.connect(address);
  }

  void send(const std::vector<std::string>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i)
      socket.send(zmq::buffer(parts[i]), i + 1 < parts.size()
                                           ? zmq::send_flags::sndmore
                                           : zmq::send_flags::none);
  }
};

std::uint64_t dropped(const json& transport, const char* reason) {
  auto value = transport.value("dropped", json::object()).value(reason, json{});
  return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
}

std::uint64_t counter(const json& transport, const char* name) {
  auto value = transport.value(name, json{});
  return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Spawns an echo agent on `home` and checks that `other` gets its reply
/// through the cluster, by global pid.
void check_serves_peer(const node_process& home, const node_process& other,
                       const std::string& agent_id) {
  auto spawned = home.corral({"spawn", "--id", agent_id, "--json"});
  BOOST_TEST_REQUIRE(spawned.exit_code == 0, summary(spawned));
  auto global = parse_stdout(spawned)["global"].get<std::string>();
  auto reply = other.corral({"send", global, "echo", "still serving"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out == "still serving\n");
}

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream{path} << text;
  return path;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_input)

BOOST_AUTO_TEST_CASE(garbage_frames_are_counted_and_node_keeps_serving) {
  two_members cluster;
  auto address = cluster.v1->address();

  zmq::context_t context{1};
  std::mt19937 random{11};
  raw_peer peer{context, "garbage/control", address};
  peer.send({random_bytes(random, 40)});
  peer.send({random_bytes(random, 10), "body"});
  peer.send({header_bytes(wire_protocol_version, frame_kind::heartbeat, 4)
               + "x",
             "abcd"});
  peer.send({header_bytes(9, frame_kind::heartbeat, 4), "abcd"});
  peer.send({header_bytes(wire_protocol_version, frame_kind::heartbeat,
                          512 * 1024),
             std::string(512 * 1024, 'x')});
  peer.send({header_bytes(wire_protocol_version, frame_kind::hello, 5),
             "hello"});
  peer.send({header_bytes(wire_protocol_version, frame_kind::heartbeat, 99),
             "short"});
  peer.send({header_bytes(wire_protocol_version, static_cast<frame_kind>(7),
                          0),
             ""});
  peer.send({header_bytes(wire_protocol_version, static_cast<frame_kind>(120),
                          4),
             "abcd"});
  header_fields wrong_lane;
  wrong_lane.on = lane::bulk;
  peer.send({header_bytes(wrong_lane), ""});
  header_fields no_chunks;
  no_chunks.chunk_count = 0;
  peer.send({header_bytes(no_chunks), ""});

  // A well-formed hello of a later protocol version. Its address is on
  // loopback and unused, in case the node ever connected back.
  hello_body later;
  later.node_id = "garbage";
  later.address = "tcp://127.0.0.1:1";
  later.incarnation = 1;
  later.protocol_version = wire_protocol_version + 1;
  auto later_body = encode_body(later);
  peer.send({header_bytes(wire_protocol_version, frame_kind::hello,
                          static_cast<std::uint32_t>(later_body.size())),
             later_body});

  for (int i = 0; i < 50; ++i)
    peer.send({random_bytes(random, frame_header_bytes),
               random_bytes(random, 16)});

  raw_peer stranger{context, "no-lane", address};
  stranger.send({header_bytes(wire_protocol_version, frame_kind::heartbeat, 0),
                 ""});

  // Beyond ZeroMQ's message limit: ZeroMQ closes this connection itself.
  raw_peer flooder{context, "flood/bulk", address};
  flooder.send({header_bytes(wire_protocol_version, frame_kind::heartbeat, 0),
                std::string(4 * 1024 * 1024, 'y')});

  const char* reasons[] = {"bad_part_count",   "truncated_header",
                           "malformed_header", "unsupported_version",
                           "unknown_kind",     "invalid_lane",
                           "invalid_chunk",    "oversized",
                           "malformed_body",   "body_size_mismatch",
                           "unhandled_kind",   "bad_identity"};
  json transport;
  std::vector<std::string> peer_states;
  auto all_counted = [&] {
    transport = cluster.v1->transport_stats();
    // The real peer must stay alive on both sides while the garbage comes.
    for (const auto& state :
         {cluster.v1->state_of("n2"), cluster.v2->state_of("n1")})
      if (state != "alive")
        peer_states.push_back(state);
    for (const char* reason : reasons)
      if (dropped(transport, reason) == 0)
        return false;
    return true;
  };
  poll_until(seconds{10}, all_counted);
  for (const char* reason : reasons)
    BOOST_TEST(dropped(transport, reason) >= 1u,
               reason << ": " << transport.dump());
  BOOST_TEST(counter(transport, "dropped_total") >= 50u, transport.dump());
  BOOST_TEST(peer_states.empty(),
             "the real peer was seen " << peer_states.size()
                                       << " times not alive, first as "
                                       << (peer_states.empty()
                                             ? std::string{}
                                             : peer_states.front()));

  // Operators read the same counters with `corral stats --json`.
  auto printed = parse_stdout(cluster.n1->corral({"stats", "--json"}));
  BOOST_TEST_REQUIRE(printed.is_object(), printed.dump());
  auto printed_transport = printed.value("cluster", json::object())
                             .value("transport", json::object());
  for (const char* reason : reasons)
    BOOST_TEST(dropped(printed_transport, reason) >= 1u,
               reason << ": " << printed.dump());

  BOOST_TEST_REQUIRE(cluster.n1->process().running());
  BOOST_TEST(all_alive(*cluster.v1, cluster.ids), cluster.v1->members().dump());
  check_serves_peer(*cluster.n1, *cluster.n2, "after-garbage");

  // Each reason is logged, but one line per reason and second at most,
  // however many frames came.
  auto log = cluster.n1->process().err();
  for (const char* reason : reasons)
    BOOST_TEST(contains(log, std::string{"dropped an inbound frame ("}
                               + reason + ", "),
               reason << " is not in the log: " << log);
  std::size_t drop_lines = 0;
  for (std::size_t at = log.find("dropped an inbound frame");
       at != std::string::npos;
       at = log.find("dropped an inbound frame", at + 1))
    ++drop_lines;
  BOOST_TEST(drop_lines < 30u, log);
}

BOOST_AUTO_TEST_CASE(unlisted_curve_key_is_refused_and_peer_served) {
  key_ring keys;
  keys.make("n1");
  keys.make("n2");
  auto n1 = start_keyed_member(keys, "n1", "n1", {"n2"});
  member_view v1{*n1};
  auto address = v1.address();
  auto n2 = start_keyed_member(keys, "n2", "n2", {"n1"}, "n1@" + address);
  member_view v2{*n2};
  std::vector<std::string> ids{"n1", "n2"};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return all_alive(v1, ids) && all_alive(v2, ids);
  }), v1.members().dump());
  auto before = v1.transport_stats();

  // A client with a valid Curve key pair that n1 does not list. It has
  // n1's public key and claims n2's identity, the worst case.
  char public_key[41] = {};
  char secret_key[41] = {};
  BOOST_TEST_REQUIRE(zmq_curve_keypair(public_key, secret_key) == 0);
  zmq::context_t context{1};
  raw_peer intruder{context, "n2/control"};
  intruder.socket.set(zmq::sockopt::curve_serverkey, keys.public_key("n1"));
  intruder.socket.set(zmq::sockopt::curve_publickey, std::string{public_key});
  intruder.socket.set(zmq::sockopt::curve_secretkey, std::string{secret_key});
  intruder.socket.connect(address);
  hello_body hello;
  hello.node_id = "n2";
  hello.address = "tcp://127.0.0.1:1";
  hello.incarnation = 1;
  auto hello_bytes = encode_body(hello);
  intruder.send({header_bytes(wire_protocol_version, frame_kind::hello,
                              static_cast<std::uint32_t>(hello_bytes.size())),
                 hello_bytes});

  // A client without Curve at all, also claiming to be n2.
  raw_peer plain{context, "n2/control", address};
  plain.send({header_bytes(wire_protocol_version, frame_kind::hello,
                           static_cast<std::uint32_t>(hello_bytes.size())),
              hello_bytes});

  json transport;
  bool refused = poll_until(seconds{10}, [&] {
    transport = v1.transport_stats();
    return counter(transport, "refused_keys") > 0;
  });
  BOOST_TEST(refused, transport.dump());

  // ZeroMQ retries the handshake, so it gets time for several attempts.
  std::this_thread::sleep_for(milliseconds{1000});
  transport = v1.transport_stats();
  BOOST_TEST(counter(transport, "dropped_total")
               == counter(before, "dropped_total"),
             "no frame of the refused clients may arrive: "
               << transport.dump());
  BOOST_TEST(all_alive(v1, ids), v1.members().dump());
  BOOST_TEST(all_alive(v2, ids), v2.members().dump());
  BOOST_TEST_REQUIRE(n1->process().running());
  check_serves_peer(*n1, *n2, "after-intruder");

  auto log = n1->process().err();
  BOOST_TEST(contains(log, "refused a Curve client from 127.0.0.1"), log);
  BOOST_TEST(contains(log, std::string{public_key}.substr(0, 8)), log);
  BOOST_TEST(!contains(log, secret_key), "a secret key is in the log");
}

BOOST_AUTO_TEST_CASE(bad_cluster_options_are_usage_errors) {
  auto seed_alone = run_corral({"node", "--id", "x", "--seed",
                                "tcp://127.0.0.1:1"});
  BOOST_TEST(seed_alone.exit_code == 2, summary(seed_alone));
  BOOST_TEST(seed_alone.err.find("--seed needs --listen") != std::string::npos,
             seed_alone.err);

  auto wildcard = run_corral({"node", "--id", "x", "--insecure", "--listen",
                              "tcp://0.0.0.0:0"});
  BOOST_TEST(wildcard.exit_code == 2, summary(wildcard));
  BOOST_TEST(wildcard.err.find("wildcard") != std::string::npos, wildcard.err);

  auto bad_id = run_corral({"node", "--id", "a:b", "--insecure", "--listen",
                            "tcp://127.0.0.1:0"});
  BOOST_TEST(bad_id.exit_code == 2, summary(bad_id));
  BOOST_TEST(bad_id.err.find("node id") != std::string::npos, bad_id.err);

  auto bad_seed = run_corral({"node", "--id", "x", "--insecure", "--listen",
                              "tcp://127.0.0.1:0", "--seed", "udp://x:1"});
  BOOST_TEST(bad_seed.exit_code == 2, summary(bad_seed));
  BOOST_TEST(bad_seed.err.find("udp://x:1") != std::string::npos, bad_seed.err);
}

BOOST_AUTO_TEST_CASE(config_file_sets_cluster_options) {
  temp_directory directory;
  auto path = write_file(directory.path() + "/node.toml",
                         "[node]\nid = \"from-file\"\n"
                         "[cluster]\nlisten = \"tcp://127.0.0.1:0\"\n"
                         "insecure = true\nbusy_poll_us = 0\n"
                         "[cluster.timing]\nheartbeat_interval_ms = 50\n");
  node_process node{"f1", {"--config", path}};
  auto members = parse_stdout(node.corral({"nodes", "--json"}));
  BOOST_TEST_REQUIRE(members.is_array(), members.dump());
  // --id on the command line wins over the file's id.
  BOOST_TEST(members[0]["node_id"] == "f1");
  BOOST_TEST(members[0]["address"].get<std::string>().rfind(
               "tcp://127.0.0.1:", 0)
             == 0u);
}

BOOST_AUTO_TEST_CASE(config_file_sets_remote_request_timeout) {
  temp_directory directory;
  auto path = write_file(directory.path() + "/n1.toml",
                         "[remote]\nrequest_timeout_ms = 300\n"
                         "max_served_requests = 100\n");
  auto n1 = start_cluster_member("n1", {}, {"--config", path});
  member_view v1{*n1};
  auto n2 = start_cluster_member("n2", {v1.address()});
  member_view v2{*n2};
  BOOST_TEST_REQUIRE(poll_until(seconds{10}, [&] {
    return all_alive(v1, {"n1", "n2"}) && all_alive(v2, {"n1", "n2"});
  }));
  auto spawned = n1->corral({"spawn", "--id", "held", "--on", "n2"});
  BOOST_TEST_REQUIRE(spawned.exit_code == 0, summary(spawned));
  // A suspended agent keeps the request, so only a timeout ends it: n1's
  // 300 ms bound, not the 5 s the requester would wait.
  auto suspended = n1->corral({"suspend", "held"});
  BOOST_TEST_REQUIRE(suspended.exit_code == 0, summary(suspended));

  auto start = std::chrono::steady_clock::now();
  auto request = n1->corral({"send", "--timeout", "5000", "held", "echo", "x"});
  auto waited = as_milliseconds(std::chrono::steady_clock::now() - start);

  BOOST_TEST(request.exit_code != 0, summary(request));
  BOOST_TEST(request.err.find("timeout") != std::string::npos, request.err);
  BOOST_TEST(waited < 3000, "the request failed after " << waited << " ms");
}

// [node] max_agent_memory_bytes caps the memory a spawn may request.
BOOST_AUTO_TEST_CASE(config_file_caps_agent_memory) {
  temp_directory directory;
  auto path = write_file(directory.path() + "/capped.toml",
                         "[node]\nmax_agent_memory_bytes = 1048576\n");
  node_process node{"capped", {"--config", path}};

  auto rejected = node.corral(
    {"spawn", "--json-request", "-"}, seconds{20},
    R"({"agent_id":"big","limits":{"memory_bytes":1048577}})");
  auto accepted = node.corral(
    {"spawn", "--json-request", "-"}, seconds{20},
    R"({"agent_id":"small","limits":{"memory_bytes":1048576}})");

  BOOST_TEST(rejected.exit_code == 1, summary(rejected));
  BOOST_TEST(rejected.err.find("invalid_request") != std::string::npos,
             rejected.err);
  BOOST_TEST(rejected.err.find("max_agent_memory_bytes of 1048576")
               != std::string::npos,
             rejected.err);
  BOOST_TEST(accepted.exit_code == 0, summary(accepted));
}

BOOST_AUTO_TEST_CASE(bad_config_files_name_the_problem) {
  temp_directory directory;
  struct bad_case {
    const char* text;
    const char* expected;
  };
  bad_case cases[] = {
    {"[cluster]\nlisten = 7\n", "cluster.listen"},
    {"[cluster]\ncolour = \"red\"\n", "cluster.colour: unknown key"},
    {"[cluster.timing]\ndown_after_ms = -1\n", "cluster.timing.down_after_ms"},
    {"[cluster.timing]\nsuspect_after_ms = 50\n", "suspect_after_ms"},
    {"[cluster]\nbusy_poll_us = -1\n",
     "cluster.busy_poll_us: must be from 0 (off) to 10000, got -1"},
    {"[cluster]\nbusy_poll_us = 10001\n",
     "must be from 0 (off) to 10000, got 10001"},
    {"[cluster]\nbusy_poll_us = \"fast\"\n",
     "cluster.busy_poll_us: expected an integer"},
    {"[cluster\n", "line 1"},
    {"[peers]\nn2 = \"tooshort\"\n", "peers.n2"},
    {"[peers]\nn2 = \"tooshort\"\n", "\"tooshort\" has 8 characters"},
    {"[security]\nkey = \"x\"\n", "security.key: unknown key"},
    {"[remote]\nretries = 3\n", "remote.retries: unknown key"},
    {"[node]\nmax_agent_memory_bytes = 0\n",
     "node.max_agent_memory_bytes: must be from 1 to 1099511627776, got 0"},
    {"[node]\nmax_agent_memory_bytes = \"1G\"\n",
     "node.max_agent_memory_bytes: expected an integer"},
    {"[remote]\nmax_served_requests = 0\n",
     "remote.max_served_requests: must be from 1 to 10000000, got 0"},
    {"[remote]\nrequest_timeout_ms = \"1s\"\n",
     "remote.request_timeout_ms: expected an integer"},
  };
  for (const auto& entry : cases) {
    auto path = write_file(directory.path() + "/bad.toml", entry.text);
    auto result = run_corral({"node", "--id", "x", "--config", path});
    BOOST_TEST(result.exit_code == 2, entry.text << ": " << summary(result));
    BOOST_TEST(result.err.find(entry.expected) != std::string::npos,
               entry.text << ": " << result.err);
  }
  auto missing = run_corral({"node", "--id", "x", "--config",
                             directory.path() + "/absent.toml"});
  BOOST_TEST(missing.exit_code == 2, summary(missing));
  BOOST_TEST(missing.err.find("absent.toml") != std::string::npos, missing.err);
}

BOOST_AUTO_TEST_CASE(standalone_node_lists_itself) {
  node_process node{"solo"};
  auto members = parse_stdout(node.corral({"nodes", "--json"}));
  BOOST_TEST_REQUIRE(members.is_array(), members.dump());
  BOOST_TEST_REQUIRE(members.size() == 1u);
  BOOST_TEST(members[0]["node_id"] == "solo");
  BOOST_TEST(members[0]["state"] == "alive");
  BOOST_TEST(members[0]["address"].is_null());
}

BOOST_AUTO_TEST_SUITE_END()
