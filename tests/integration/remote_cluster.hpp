#pragma once

// The fixture of the cluster and Remote backend tests: `corral node`
// processes in cluster mode, with or without Curve keys, a control client
// that reads their member lists and counters, and polling with a bound.

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>

#include "cli_checks.hpp"
#include "net/control_client.hpp"
#include "node_process.hpp"

namespace corral::testing {

/// Polls `condition` every 5 ms until it is true or `timeout` passes.
inline bool poll_until(std::chrono::milliseconds timeout,
                       const std::function<bool()>& condition) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{5});
  }
  return condition();
}

/// True when `node` lists a live agent named `agent_id`.
inline bool lists_agent(const node_process& node,
                        const std::string& agent_id) {
  auto ps = node.corral({"ps", "--json"});
  auto list = parse_stdout(ps);
  if (!list.is_array())
    return false;
  for (const auto& entry : list)
    if (entry.value("agent_id", "") == agent_id)
      return true;
  return false;
}

/// Sends SIGSTOP to `pid` and waits up to 2 s until every thread of it has
/// stopped. kill() returns before the threads stop, and a thread still
/// running could reply to a request sent right after. Returns false when
/// some thread did not stop in time.
inline bool freeze(pid_t pid) {
  namespace fs = std::filesystem;
  ::kill(pid, SIGSTOP);
  const fs::path tasks = "/proc/" + std::to_string(pid) + "/task";
  return poll_until(std::chrono::seconds{2}, [&] {
    std::error_code error;
    for (const auto& task : fs::directory_iterator{tasks, error}) {
      std::ifstream file{task.path() / "stat"};
      std::string stat{std::istreambuf_iterator<char>{file}, {}};
      // The state follows the command name, which ends with the last ')'.
      auto end = stat.rfind(')');
      if (end == std::string::npos || end + 2 >= stat.size()
          || (stat[end + 2] != 'T' && stat[end + 2] != 't'))
        return false;
    }
    return !error;
  });
}

/// Resumes a stopped process when the test ends, even on failure, so that
/// its node_process can terminate it.
struct continue_at_exit {
  pid_t pid;
  ~continue_at_exit() {
    ::kill(pid, SIGCONT);
  }
};

/// Starts `corral node` in cluster mode without keys on a free loopback
/// port, with `extra` node options appended.
inline std::unique_ptr<node_process>
start_cluster_member(const std::string& id,
                     const std::vector<std::string>& seeds = {},
                     const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--listen", "tcp://127.0.0.1:0", "--insecure"};
  for (const auto& seed : seeds) {
    args.push_back("--seed");
    args.push_back(seed);
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<node_process>(id, args);
}

/// Key pairs made with `corral keygen` in a temporary folder.
class key_ring {
public:
  /// Runs `corral keygen --out FOLDER/ID` and stores the printed key.
  std::string make(const std::string& id) {
    auto result = run_corral({"keygen", "--out", prefix(id)});
    BOOST_TEST_REQUIRE(result.exit_code == 0, summary(result));
    auto key = result.out.substr(0, result.out.find('\n'));
    BOOST_TEST_REQUIRE(key.size() == 40u, result.out);
    keys_[id] = key;
    return key;
  }

  /// Returns the public key made for `id`.
  const std::string& public_key(const std::string& id) const {
    return keys_.at(id);
  }

  std::string prefix(const std::string& id) const {
    return folder_.path() + "/" + id;
  }

  /// Returns the --peer-key options for `ids`.
  std::vector<std::string> peer_args(const std::vector<std::string>& ids) const {
    std::vector<std::string> args;
    for (const auto& id : ids) {
      args.push_back("--peer-key");
      args.push_back(id + "=" + keys_.at(id));
    }
    return args;
  }

private:
  temp_directory folder_;
  std::map<std::string, std::string> keys_;
};

/// Returns the arguments of `corral node` for cluster mode on `listen`
/// with the secret key of `key_id`, accepting the keys of `peers` and
/// joining through `seed` (NODE_ID@ADDRESS) if given.
inline std::vector<std::string>
keyed_member_args(const key_ring& keys, const std::string& key_id,
                  const std::vector<std::string>& peers,
                  const std::string& seed = {},
                  const std::string& listen = "tcp://127.0.0.1:0") {
  std::vector<std::string> args{"--listen", listen, "--key",
                                keys.prefix(key_id) + ".key"};
  auto peer_args = keys.peer_args(peers);
  args.insert(args.end(), peer_args.begin(), peer_args.end());
  if (!seed.empty()) {
    args.push_back("--seed");
    args.push_back(seed);
  }
  return args;
}

/// Starts a cluster node `id` on a free loopback port with the secret key
/// of `key_id` that accepts the keys of `peers` and joins through `seed`
/// (NODE_ID@ADDRESS) if given.
inline std::unique_ptr<node_process>
start_keyed_member(const key_ring& keys, const std::string& id,
                   const std::string& key_id,
                   const std::vector<std::string>& peers,
                   const std::string& seed = {}) {
  return std::make_unique<node_process>(
    id, keyed_member_args(keys, key_id, peers, seed));
}

/// A control client of one node inside the test process, so that polling
/// costs about a millisecond and detection times are measured closely.
class member_view {
public:
  explicit member_view(const node_process& node) {
    control_address address;
    address.path = node.control_path();
    auto client = control_client::connect(address, {});
    BOOST_TEST_REQUIRE(static_cast<bool>(client), client.error().detail);
    client_ = std::move(*client);
  }

  /// Returns the "members" of a "nodes" reply, or an empty array on
  /// failure.
  nlohmann::json members() {
    auto reply = client_->request({{"op", "nodes"}}, std::chrono::seconds{2});
    return reply ? (*reply)["members"] : nlohmann::json::array();
  }

  /// Returns the state of member `id` as this node sees it, or "absent".
  std::string state_of(const std::string& id) {
    for (const auto& member : members())
      if (member["node_id"] == id)
        return member["state"].get<std::string>();
    return "absent";
  }

  /// This node's cluster address.
  std::string address() {
    auto list = members();
    return list.empty() ? std::string{}
                        : list[0]["address"].get<std::string>();
  }

  /// Returns the node's counters ("stats"), or an empty object on failure.
  nlohmann::json stats() {
    auto reply = client_->request({{"op", "stats"}}, std::chrono::seconds{2});
    return reply ? (*reply)["stats"] : nlohmann::json::object();
  }

  /// Returns the transport's counters, `stats.cluster.transport`.
  nlohmann::json transport_stats() {
    auto counters = stats();
    if (!counters.contains("cluster"))
      return nlohmann::json::object();
    return counters["cluster"].value("transport", nlohmann::json::object());
  }

  /// Returns the "inspect" result of `target`, or null when it fails.
  nlohmann::json inspect(const std::string& target) {
    auto reply = client_->request({{"op", "inspect"}, {"target", target}},
                                  std::chrono::seconds{2});
    if (!reply || !reply->value("ok", false))
      return nullptr;
    return (*reply)["process"];
  }

private:
  std::unique_ptr<control_client> client_;
};

/// Returns true when `view` lists every member of `ids` as alive.
inline bool all_alive(member_view& view, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (view.state_of(id) != "alive")
      return false;
  return true;
}

/// Returns the milliseconds from `since` until `view` lists `id` in
/// `state`, or -1 when that does not happen within `limit`.
inline long long
milliseconds_until_state(member_view& view, const std::string& id,
                         const std::string& state,
                         std::chrono::steady_clock::time_point since,
                         std::chrono::milliseconds limit) {
  if (!poll_until(limit, [&] { return view.state_of(id) == state; }))
    return -1;
  return as_milliseconds(std::chrono::steady_clock::now() - since);
}

/// Polls until `target` on the node of `view` has exited and returns its
/// exit reason (the "exit" of its inspect result), or null when it is
/// still not exited after `timeout`.
inline nlohmann::json wait_for_exit(member_view& view,
                                    const std::string& target,
                                    std::chrono::milliseconds timeout) {
  nlohmann::json reason;
  poll_until(timeout, [&] {
    auto info = view.inspect(target);
    if (!info.is_object() || info["state"] != "exited")
      return false;
    reason = info["exit"];
    return true;
  });
  return reason;
}

/// Two members, n1 and n2 (joined through n1), that see each other alive.
struct two_members {
  std::unique_ptr<node_process> n1, n2;
  std::unique_ptr<member_view> v1, v2;
  std::vector<std::string> ids{"n1", "n2"};

  two_members() {
    n1 = start_cluster_member("n1");
    v1 = std::make_unique<member_view>(*n1);
    n2 = start_cluster_member("n2", {v1->address()});
    v2 = std::make_unique<member_view>(*n2);
    bool joined = poll_until(std::chrono::seconds{10}, [&] {
      return all_alive(*v1, ids) && all_alive(*v2, ids);
    });
    BOOST_TEST_REQUIRE(joined, "n1 sees n2 as " << v1->state_of("n2"));
  }
};

/// Three members n1, n2 and n3 that joined through n1 and see each other
/// alive.
struct three_members {
  std::unique_ptr<node_process> n1, n2, n3;
  std::unique_ptr<member_view> v1, v2, v3;
  std::vector<std::string> ids{"n1", "n2", "n3"};
  /// Time from starting n2 until every member saw every other alive.
  long long join_ms = 0;

  three_members() {
    n1 = start_cluster_member("n1");
    v1 = std::make_unique<member_view>(*n1);
    auto seed = v1->address();
    BOOST_TEST_REQUIRE(seed.rfind("tcp://127.0.0.1:", 0) == 0u, seed);
    auto start = std::chrono::steady_clock::now();
    n2 = start_cluster_member("n2", {seed});
    n3 = start_cluster_member("n3", {seed});
    v2 = std::make_unique<member_view>(*n2);
    v3 = std::make_unique<member_view>(*n3);
    bool joined = poll_until(std::chrono::seconds{10}, [&] {
      return all_alive(*v1, ids) && all_alive(*v2, ids) && all_alive(*v3, ids);
    });
    join_ms = as_milliseconds(std::chrono::steady_clock::now() - start);
    BOOST_TEST_REQUIRE(joined, "members seen by n1: "
                                 << v1->members().dump() << "; by n3: "
                                 << v3->members().dump());
  }
};

} // namespace corral::testing
