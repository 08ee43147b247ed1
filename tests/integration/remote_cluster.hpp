#pragma once

// Helpers of the remote backend's tests: cluster members as `corral node`
// processes on 127.0.0.1, and polling with a bound.

#include <chrono>
#include <functional>
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

/// Starts `corral node` in cluster mode on a free loopback port.
inline std::unique_ptr<node_process>
start_cluster_member(const std::string& id,
                     const std::vector<std::string>& seeds = {}) {
  std::vector<std::string> args{"--listen", "tcp://127.0.0.1:0", "--insecure"};
  for (const auto& seed : seeds) {
    args.push_back("--seed");
    args.push_back(seed);
  }
  return std::make_unique<node_process>(id, args);
}

/// A control client of one node inside the test process, so that polling
/// costs about a millisecond.
class member_view {
public:
  explicit member_view(const node_process& node) {
    control_address address;
    address.path = node.control_path();
    auto client = control_client::connect(address, {});
    BOOST_TEST_REQUIRE(static_cast<bool>(client), client.error().detail);
    client_ = std::move(*client);
  }

  /// Returns the state of member `id` as this node sees it, or "absent".
  std::string state_of(const std::string& id) {
    auto reply = client_->request({{"op", "nodes"}}, std::chrono::seconds{2});
    if (!reply)
      return "absent";
    for (const auto& member : (*reply)["members"])
      if (member["node_id"] == id)
        return member["state"].get<std::string>();
    return "absent";
  }

  /// This node's cluster address.
  std::string address() {
    auto reply = client_->request({{"op", "nodes"}}, std::chrono::seconds{2});
    if (!reply || (*reply)["members"].empty())
      return {};
    return (*reply)["members"][0]["address"].get<std::string>();
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

/// Two members, n1 and n2 (joined through n1), that see each other alive.
struct two_members {
  std::unique_ptr<node_process> n1, n2;
  std::unique_ptr<member_view> v1, v2;

  two_members() {
    n1 = start_cluster_member("n1");
    v1 = std::make_unique<member_view>(*n1);
    n2 = start_cluster_member("n2", {v1->address()});
    v2 = std::make_unique<member_view>(*n2);
    bool joined = poll_until(std::chrono::seconds{10}, [&] {
      return v1->state_of("n2") == "alive" && v2->state_of("n1") == "alive";
    });
    BOOST_TEST_REQUIRE(joined, "n1 sees n2 as " << v1->state_of("n2"));
  }
};

} // namespace corral::testing
