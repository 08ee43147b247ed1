#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/expected.hpp>
#include <wabt/interp/interp.h>

#include "backends/wasm/compiled_module.hpp"
#include "backends/wasm/host_functions.hpp"

namespace corral::wasm {

/// Bytes in one page of linear memory.
inline constexpr std::uint64_t page_bytes = 65536;

/// The limits one instance runs under (see docs/wasm-abi.md for defaults).
struct instance_limits {
  std::uint64_t memory_pages = 256;
  std::uint64_t call_depth = 1024;
  std::uint64_t value_stack = 65536;
};

/// How a slice of guest execution ended.
enum class run_status {
  returned,        ///< the call finished; `value` holds its i32 result
  paused,          ///< the budget ran out; call `run` again to go on
  trapped,         ///< the guest trapped; `detail` says why
  exited,          ///< the guest called proc_exit or corral.exit
  memory_exceeded, ///< linear memory grew past the limit
};

/// The outcome of `wasm_instance::run`.
struct run_result {
  run_status status = run_status::paused;
  /// Instructions charged, in steps of `fuel_step`.
  std::uint64_t instructions = 0;
  std::int32_t value = 0;
  std::string detail;
};

/// Instructions between checks of the stack and memory limits; fuel is
/// charged in steps of this size.
inline constexpr std::uint64_t fuel_step = 100;

/// One agent's sandbox: its own wabt store, instance, memory and thread.
/// Nothing in it is shared with another instance except the immutable
/// module description it was copied from. Not thread-safe: the hosting
/// actor uses it from one thread at a time.
class wasm_instance {
public:
  /// Instantiates `module` with the node's host functions, bound to `env`.
  /// The module's start function does not run yet (see `initialize`).
  /// Errors are `spawn_failed` naming the problem.
  static caf::expected<std::unique_ptr<wasm_instance>>
  create(std::shared_ptr<const compiled_module> module,
         const instance_limits& limits, guest_env& env);

  ~wasm_instance();

  /// Number of instances alive in this process; an exited agent's instance
  /// is freed, which tests check through this count.
  static std::int64_t live_count();

  /// Runs the start function, `_initialize` and `corral_init` with at most
  /// `budget` instructions in all. Errors are `spawn_failed`.
  caf::error initialize(std::uint64_t budget);

  /// Points the host functions at another environment.
  void set_env(guest_env& env) {
    host_.env = &env;
  }

  /// Starts a call of `corral_on_message`; `run` executes it. Returns false
  /// with `failure` filled when the call could not start.
  bool begin_message(std::int32_t kind, std::uint32_t topic_len,
                     std::uint32_t payload_len, run_result& failure);

  /// Runs the started call for at most `budget` instructions.
  run_result run(std::uint64_t budget);

  /// True while a started call has not returned or failed.
  bool running() const {
    return running_;
  }

  /// Current size of linear memory in bytes.
  std::uint64_t memory_bytes() const;

  /// The module this instance runs.
  const compiled_module& module() const {
    return *module_;
  }

  /// The state host functions share (exit code, output buffers).
  host_context& host() {
    return host_;
  }

private:
  wasm_instance(std::shared_ptr<const compiled_module> module,
                const instance_limits& limits);

  bool begin(const wabt::interp::DefinedFunc::Ptr& func,
             const wabt::interp::Values& args, run_result& failure);
  run_result finish_trap(const wabt::interp::Trap::Ptr& trap,
                         std::uint64_t used);
  wabt::interp::DefinedFunc::Ptr exported_func(int export_index);

  std::shared_ptr<const compiled_module> module_;
  instance_limits limits_;
  host_context host_;
  // The store owns every wabt object of this instance; the pointers below
  // are roots in it and must go before it does.
  std::unique_ptr<wabt::interp::Store> store_;
  wabt::interp::Instance::Ptr instance_;
  wabt::interp::Memory::Ptr memory_;
  wabt::interp::DefinedFunc::Ptr handler_;
  wabt::interp::DefinedFunc::Ptr current_;
  std::unique_ptr<wabt::interp::Thread> thread_;
  bool running_ = false;
  bool broken_ = false;
  wabt::interp::Index start_ = static_cast<wabt::interp::Index>(-1);
};

} // namespace corral::wasm
