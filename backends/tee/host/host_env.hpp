#pragma once

#include <map>
#include <optional>
#include <string>

#include "backends/tee/host/host_channel.hpp"
#include "backends/wasm/guest_env.hpp"

namespace corral::tee {

/// The guest_env of a workload in the enclave host. Identity and the
/// current message are local. Every call that needs the node becomes an op
/// frame to the proxy, whose result arrives before the guest goes on.
class host_env : public wasm::guest_env {
public:
  /// Serves the agent described by `start` over `channel`.
  host_env(host_channel& channel, const start_frame& start);

  /// Lets calls that need the node through; before this they return
  /// abi_not_ready, as in the Wasm backend's start-up code.
  void set_running() {
    running_ = true;
  }

  /// Starts handling `msg`; clears the reply.
  void begin(message msg);

  /// Ends the handler call and returns the reply it gave, if any.
  std::optional<std::string> finish();

  const message* current_message() const override;
  std::int32_t reply(std::string payload) override;
  std::int32_t send(const std::string& target, std::string topic,
                    std::string payload) override;
  std::int64_t request(const std::string& target, std::string topic,
                       std::string payload, std::uint32_t timeout_ms) override;
  std::int32_t publish(std::string topic, std::string payload) override;
  std::int32_t broadcast(std::string topic, std::string payload) override;
  std::int32_t subscribe(const std::string& topic, bool on) override;
  void log(spdlog::level::level_enum level, std::string_view text) override;
  pid_type self_pid() const override;
  const std::string& self_id() const override;
  const std::map<std::string, std::string>& environment() const override;

private:
  std::int64_t call(op_kind kind, const std::string& target,
                    std::string topic, std::string payload,
                    std::uint32_t timeout_ms = 0);

  host_channel& channel_;
  pid_type pid_;
  std::string agent_id_;
  std::map<std::string, std::string> env_;
  std::optional<message> current_;
  std::optional<std::string> reply_;
  bool running_ = false;
};

} // namespace corral::tee
