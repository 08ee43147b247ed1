// WASM modules shipped by content between `corral node` processes on
// 127.0.0.1. The spawning node runs in a folder that holds the module under
// a relative path; the other nodes run in folders where that path does not
// exist, so they can only run bytes that travelled to them.

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "remote_cluster.hpp"

using namespace corral::testing;
using nlohmann::json;
using std::chrono::seconds;
using clock_type = std::chrono::steady_clock;

namespace {

std::string read_example(const std::string& file) {
  std::ifstream in{std::string{CORRAL_WASM_EXAMPLES_DIR} + "/" + file,
                   std::ios::binary};
  return std::string{std::istreambuf_iterator<char>{in}, {}};
}

void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << bytes;
}

/// Starts cluster member `id` in `folder`, joining through `seeds`.
std::unique_ptr<node_process>
start_member_in(const std::string& id, const std::string& folder,
                const std::vector<std::string>& seeds = {}) {
  std::vector<std::string> args{"--listen", "tcp://127.0.0.1:0", "--insecure"};
  for (const auto& seed : seeds) {
    args.push_back("--seed");
    args.push_back(seed);
  }
  // env (GNU coreutils) changes the folder and then execs the node.
  return std::make_unique<node_process>(
    id, args, std::vector<std::string>{"/usr/bin/env", "-C", folder});
}

/// Members in their own folders: n1 (the spawning node) and `others`,
/// all joined through n1 and alive as n1 sees them.
struct cluster_in_folders {
  temp_directory spawner_folder;
  std::vector<std::unique_ptr<temp_directory>> folders;
  std::unique_ptr<node_process> n1;
  std::unique_ptr<member_view> v1;
  std::vector<std::unique_ptr<node_process>> others;
  std::vector<std::unique_ptr<member_view>> views;

  explicit cluster_in_folders(const std::vector<std::string>& ids) {
    n1 = start_member_in("n1", spawner_folder.path());
    v1 = std::make_unique<member_view>(*n1);
    for (const auto& id : ids) {
      folders.push_back(std::make_unique<temp_directory>());
      others.push_back(start_member_in(id, folders.back()->path(),
                                       {v1->address()}));
      views.push_back(std::make_unique<member_view>(*others.back()));
    }
    bool joined = poll_until(seconds{10}, [&] {
      return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
        return v1->state_of(id) == "alive";
      });
    });
    BOOST_TEST_REQUIRE(joined, "not every member is alive as n1 sees it");
  }

  /// Writes `bytes` as `name` into n1's folder only.
  void give_spawner(const std::string& name, const std::string& bytes) {
    write_file(spawner_folder.path() + "/" + name, bytes);
  }

  /// Runs `corral spawn` on n1 with the module path relative to n1's folder.
  command_result spawn(const std::string& agent_id, const std::string& node,
                       const std::string& module,
                       std::vector<std::string> extra = {}) {
    std::vector<std::string> args{
      "spawn", "--id", agent_id, "--on", node, "--backend",
      json{{"Wasm", {{"module", module}}}}.dump(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return n1->corral(args);
  }
};

std::uint64_t module_counter(member_view& view, const std::string& name) {
  auto stats = view.stats();
  if (!stats.is_object() || !stats.contains("modules"))
    return ~std::uint64_t{0};
  return stats["modules"][name].get<std::uint64_t>();
}

double milliseconds_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start)
    .count();
}

} // namespace

BOOST_AUTO_TEST_CASE(module_travels_once_to_target) {
  cluster_in_folders cluster{{"n2"}};
  cluster.give_spawner("agent.wat", read_example("echo.wat"));
  auto& v2 = *cluster.views[0];
  BOOST_TEST_REQUIRE(!std::filesystem::exists(cluster.folders[0]->path()
                                              + "/agent.wat"));

  auto first = cluster.spawn("m1", "n2", "agent.wat");
  BOOST_TEST_REQUIRE(first.exit_code == 0, summary(first));
  auto reply = cluster.n1->corral({"send", "m1", "echo", "shipped"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out.find("shipped") != std::string::npos, reply.out);
  BOOST_TEST(module_counter(*cluster.v1, "sent") == 1u);
  BOOST_TEST(module_counter(v2, "received") == 1u);

  // The second agent of the same module finds it on n2: nothing travels.
  auto second = cluster.spawn("m2", "n2", "agent.wat");
  BOOST_TEST_REQUIRE(second.exit_code == 0, summary(second));
  BOOST_TEST(module_counter(*cluster.v1, "sent") == 1u);
  BOOST_TEST(module_counter(v2, "received") == 1u);
  BOOST_TEST(module_counter(v2, "reused") == 1u);
  auto on_n2 = v2.inspect("m2");
  BOOST_TEST_REQUIRE(on_n2.is_object());
  BOOST_TEST(on_n2["backend"] == "Wasm");
}

BOOST_AUTO_TEST_CASE(module_transfer_time_one_mib) {
  cluster_in_folders cluster{{"n2"}};
  // The echo agent padded with a comment to 1 MiB, which costs the WAT
  // parser little, so the first spawn measures mostly the transfer.
  auto text = read_example("echo.wat") + "\n;; ";
  text.append(1024 * 1024 - text.size(), 'x');
  cluster.give_spawner("big.wat", text);
  auto& v2 = *cluster.views[0];

  auto start = clock_type::now();
  auto first = cluster.spawn("b1", "n2", "big.wat");
  auto first_ms = milliseconds_since(start);
  BOOST_TEST_REQUIRE(first.exit_code == 0, summary(first));
  std::vector<double> cached;
  for (int i = 0; i < 5; ++i) {
    start = clock_type::now();
    auto again = cluster.spawn("b" + std::to_string(i + 2), "n2", "big.wat");
    cached.push_back(milliseconds_since(start));
    BOOST_TEST_REQUIRE(again.exit_code == 0, summary(again));
  }
  std::sort(cached.begin(), cached.end());
  BOOST_TEST(module_counter(v2, "received") == 1u);
  BOOST_TEST(module_counter(v2, "reused") == 5u);
  std::cout << "remote spawn of a 1 MiB WASM module through the CLI: first "
            << first_ms << " ms (transfer), cached median " << cached[2]
            << " ms\n";
}

BOOST_AUTO_TEST_CASE(invalid_module_leaves_nothing) {
  cluster_in_folders cluster{{"n2"}};
  cluster.give_spawner("bad.wasm", std::string{"\0asm\x01\0\0\0\x7f", 9});
  auto& v2 = *cluster.views[0];

  auto result = cluster.spawn("bad", "n2", "bad.wasm");
  BOOST_TEST(result.exit_code != 0, summary(result));
  BOOST_TEST(result.err.find("bad.wasm") != std::string::npos, result.err);
  BOOST_TEST(module_counter(v2, "received") == 1u);
  BOOST_TEST(module_counter(v2, "stored") == 0u);
  BOOST_TEST(!lists_agent(*cluster.n1, "bad"));
  BOOST_TEST(!lists_agent(*cluster.others[0], "bad"));
}

BOOST_AUTO_TEST_CASE(oversized_module_refused_by_spawner) {
  cluster_in_folders cluster{{"n2"}};
  // Sparse: 64 MiB and one byte of zeros, read up to the limit.
  auto path = cluster.spawner_folder.path() + "/huge.wasm";
  write_file(path, "");
  std::filesystem::resize_file(path, 64u * 1024 * 1024 + 1);

  auto result = cluster.spawn("huge", "n2", "huge.wasm");
  BOOST_TEST(result.exit_code != 0, summary(result));
  BOOST_TEST(result.err.find("larger than the limit") != std::string::npos,
             result.err);
  BOOST_TEST(module_counter(*cluster.v1, "sent") == 0u);
  BOOST_TEST(!lists_agent(*cluster.n1, "huge"));
  BOOST_TEST(!lists_agent(*cluster.others[0], "huge"));
}

BOOST_AUTO_TEST_CASE(failover_ships_module_to_third_node) {
  cluster_in_folders cluster{{"n2", "n3"}};
  cluster.give_spawner("agent.wat", read_example("echo.wat"));
  auto& v3 = *cluster.views[1];

  auto spawn = cluster.spawn("wf", "n2", "agent.wat",
                             {"--failover", "any", "--prefer", "n3"});
  BOOST_TEST_REQUIRE(spawn.exit_code == 0, summary(spawn));
  auto first_global = parse_stdout(spawn)["global"].get<std::string>();
  BOOST_TEST(module_counter(v3, "received") == 0u);

  ::kill(cluster.others[0]->process().pid(), SIGKILL);
  bool moved = poll_until(seconds{10}, [&] {
    auto info = cluster.v1->inspect("wf");
    return info.is_object() && info["state"] == "running"
           && info["global"] != first_global;
  });
  BOOST_TEST_REQUIRE(moved, "wf did not run again within 10 s: "
                              << cluster.v1->inspect("wf").dump());
  auto global = cluster.v1->inspect("wf")["global"].get<std::string>();
  BOOST_TEST(global.rfind("n3:", 0) == 0u, global);
  BOOST_TEST(module_counter(v3, "received") == 1u);
  auto reply = cluster.n1->corral({"send", "wf", "echo", "moved"});
  BOOST_TEST(reply.exit_code == 0, summary(reply));
  BOOST_TEST(reply.out.find("moved") != std::string::npos, reply.out);
}
