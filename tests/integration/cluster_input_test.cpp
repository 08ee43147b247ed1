// Bad input to a cluster node: garbage frames from a raw ZeroMQ socket,
// and invalid cluster options and configuration files on the CLI.

#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "cli_checks.hpp"
#include "node_process.hpp"
#include "serialization/wire_frame.hpp"

using namespace corral;
using namespace corral::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

std::string header_bytes(std::uint16_t version, frame_kind kind,
                         std::uint32_t body_size) {
  frame_header header;
  header.version = version;
  header.kind = static_cast<std::uint8_t>(kind);
  header.lane = static_cast<std::uint8_t>(lane::control);
  header.body_size = body_size;
  return encode_frame_header(header);
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

  raw_peer(zmq::context_t& context, const std::string& identity,
           const std::string& address)
    : socket(context, zmq::socket_type::dealer) {
    socket.set(zmq::sockopt::routing_id, identity);
    socket.set(zmq::sockopt::linger, 0);
    socket.connect(address);
  }

  void send(const std::vector<std::string>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i)
      socket.send(zmq::buffer(parts[i]), i + 1 < parts.size()
                                           ? zmq::send_flags::sndmore
                                           : zmq::send_flags::none);
  }
};

json cluster_stats(const node_process& node) {
  auto result = node.corral({"stats", "--json"});
  auto stats = parse_stdout(result);
  if (!stats.is_object() || !stats.contains("cluster"))
    return json::object();
  return stats["cluster"];
}

std::uint64_t dropped(const json& cluster, const char* reason) {
  auto value = cluster.value("transport", json::object())
                 .value("dropped", json::object())
                 .value(reason, json{});
  return value.is_number_unsigned() ? value.get<std::uint64_t>() : 0;
}

std::string write_file(const std::string& path, const std::string& text) {
  std::ofstream{path} << text;
  return path;
}

} // namespace

BOOST_AUTO_TEST_SUITE(cluster_input)

BOOST_AUTO_TEST_CASE(garbage_frames_are_counted_and_node_keeps_serving) {
  node_process node{"g1", {"--listen", "tcp://127.0.0.1:0", "--insecure"}};
  auto listed = parse_stdout(node.corral({"nodes", "--json"}));
  BOOST_TEST_REQUIRE(listed.is_array(), listed.dump());
  auto address = listed[0]["address"].get<std::string>();

  zmq::context_t context{1};
  std::mt19937 random{11};
  raw_peer peer{context, "garbage/control", address};
  peer.send({random_bytes(random, 40)});
  peer.send({random_bytes(random, 10), "body"});
  peer.send({header_bytes(9, frame_kind::heartbeat, 4), "abcd"});
  peer.send({header_bytes(wire_protocol_version, frame_kind::heartbeat,
                          512 * 1024),
             std::string(512 * 1024, 'x')});
  peer.send({header_bytes(wire_protocol_version, frame_kind::hello, 5),
             "hello"});
  peer.send({header_bytes(wire_protocol_version, frame_kind::heartbeat, 99),
             "short"});
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

  const char* reasons[] = {"bad_part_count", "truncated_header",
                           "unsupported_version", "oversized",
                           "malformed_body", "body_size_mismatch",
                           "bad_identity"};
  json stats;
  auto deadline = std::chrono::steady_clock::now() + seconds{10};
  bool all_counted = false;
  while (!all_counted && std::chrono::steady_clock::now() < deadline) {
    stats = cluster_stats(node);
    all_counted = true;
    for (const char* reason : reasons)
      all_counted = all_counted && dropped(stats, reason) >= 1;
    if (!all_counted)
      std::this_thread::sleep_for(milliseconds{50});
  }
  for (const char* reason : reasons)
    BOOST_TEST(dropped(stats, reason) >= 1u, reason << ": " << stats.dump());
  BOOST_TEST(stats["transport"]["dropped_total"].get<std::uint64_t>() >= 50u,
             stats.dump());

  BOOST_TEST(node.process().running());
  auto after = node.corral({"nodes"});
  BOOST_TEST(after.exit_code == 0, summary(after));
  BOOST_TEST(after.out.find("g1 (this node)") != std::string::npos, after.out);
  // One log line per reason and second at most, however many frames came.
  auto log = node.process().err();
  std::size_t drop_lines = 0;
  for (std::size_t at = log.find("dropped an inbound frame");
       at != std::string::npos;
       at = log.find("dropped an inbound frame", at + 1))
    ++drop_lines;
  BOOST_TEST(drop_lines < 30u, log);
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
                         "insecure = true\n"
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
    {"[cluster\n", "line 1"},
    {"[peers]\nn2 = \"tooshort\"\n", "peers.n2"},
    {"[peers]\nn2 = \"tooshort\"\n", "\"tooshort\" has 8 characters"},
    {"[security]\nkey = \"x\"\n", "security.key: unknown key"},
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
