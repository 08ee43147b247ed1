#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <caf/response_promise.hpp>

#include "actors/agent_context.hpp"
#include "actors/hosting_actor.hpp"
#include "backends/wasm/guest_env.hpp"
#include "backends/wasm/guest_requests.hpp"
#include "backends/wasm/wasm_instance.hpp"

namespace corral::wasm {

/// Sent by a WASM agent to itself to run the next slice of its guest.
using slice_atom = caf::atom_constant<caf::atom("slice")>;

/// Maps an error of the agent's context to the ABI's return code
/// (docs/wasm-abi.md); no error is abi_ok.
std::int32_t abi_code_of(const caf::error& error);

/// Budgets one WASM agent runs under, resolved from its limits and the
/// backend's defaults.
struct run_budget {
  /// Instructions per slice before the actor yields to CAF.
  std::uint64_t slice = 10'000;
  std::uint64_t fuel_per_message = 100'000'000;
  /// Instructions over the agent's life; 0 means no limit.
  std::uint64_t fuel_total = 0;
  std::chrono::milliseconds message_timeout{10'000};
  std::size_t mailbox = 1024;
};

/// The CAF actor hosting one WASM agent. It queues the messages it gets,
/// runs the guest's handler for each in slices of a bounded number of
/// instructions, and yields to CAF between slices with a message to
/// itself, so an endless guest never holds a scheduler thread and a stop
/// takes effect after the current slice.
class wasm_agent : public hosting_actor, public guest_env {
public:
  /// Hosts `instance` as the agent described by `cell`.
  wasm_agent(caf::actor_config& cfg, std::unique_ptr<wasm_instance> instance,
             std::shared_ptr<agent_cell> cell,
             std::shared_ptr<node_services> services,
             std::map<std::string, std::string> env, run_budget budget);

  /// Returns the running behavior.
  caf::behavior make_behavior() override;

  /// Frees the instance and releases the cell once the actor has exited.
  void on_exit() override;

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
  caf::result<message> accept(message& msg);
  void queue_message(message msg);
  void schedule();
  void on_slice();
  void begin_next();
  void run_slice();
  std::uint64_t slice_budget() const;
  run_result run_guest(std::uint64_t budget);
  void finish(std::int32_t value);
  void end_agent(exit_reason reason);
  bool check_limits();
  bool check_limit(const char* resource, std::uint64_t used,
                   const std::optional<std::uint64_t>& limit, bool& warned);
  void warn(const char* resource, std::uint64_t used, std::uint64_t limit);
  void signal_guest(const std::string& topic, std::string payload);

  std::unique_ptr<wasm_instance> instance_;
  agent_context ctx_;
  run_budget budget_;
  std::deque<pending_message> queue_;
  std::optional<pending_message> current_;
  std::optional<std::string> reply_;
  std::chrono::steady_clock::time_point message_started_;
  std::uint64_t message_fuel_ = 0;
  std::uint64_t next_correlation_ = 1;
  bool slice_scheduled_ = false;
  bool suspended_ = false;
  bool ended_ = false;
  bool warned_fuel_ = false;
  bool warned_memory_ = false;
  bool warned_messages_ = false;
};

} // namespace corral::wasm

