#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wabt/interp/interp.h>

#include "backends/wasm/guest_env.hpp"

namespace corral::wasm {

/// Import module names the node provides.
inline constexpr const char* corral_module = "corral";
inline constexpr const char* wasi_module = "wasi_snapshot_preview1";

/// Largest payload a guest may send or reply with.
inline constexpr std::uint32_t max_guest_payload = 16u * 1024 * 1024;

/// Per-instance state that host functions work on.
struct host_context {
  /// Where messaging and logging go; swapped from the spawn stand-in to
  /// the hosting actor once the agent runs.
  guest_env* env = nullptr;
  /// The instance's exported memory; null for a module without imports.
  wabt::interp::Memory* memory = nullptr;
  /// Set when the guest called proc_exit or corral.exit.
  std::optional<std::int32_t> exit_code;
  /// Partial lines written to stdout and stderr.
  std::string stdout_line;
  std::string stderr_line;

  /// Logs what is left of partial output lines.
  void flush_output();
};

/// Arguments of one host call, passed to the function's implementation.
struct host_call {
  host_context& ctx;
  const char* name;
  const wabt::interp::Values& params;
  wabt::interp::Values& results;
  wabt::interp::Trap::Ptr* trap;
  wabt::interp::Thread& thread;

  /// The i32 argument at `index`, as unsigned.
  std::uint32_t u32(std::size_t index) const {
    return params[index].Get<std::uint32_t>();
  }

  /// The i64 argument at `index`.
  std::uint64_t u64(std::size_t index) const {
    return params[index].Get<std::uint64_t>();
  }

  /// Sets the single i32 result and returns Ok.
  wabt::Result ret(std::int32_t value);

  /// Sets the single i64 result and returns Ok.
  wabt::Result ret64(std::int64_t value);

  /// Traps the guest with `what`, prefixed by the function's name.
  wabt::Result fail(const std::string& what);

  /// Checks that [ptr, ptr+len) lies in the memory; traps otherwise.
  bool check(std::uint32_t ptr, std::uint32_t len, const char* what);

  /// Reads guest bytes after `check`; the view is valid until the guest
  /// runs again.
  std::string_view view(std::uint32_t ptr, std::uint32_t len);

  /// Reads guest text after checks (range, UTF-8 is the caller's).
  bool read(std::uint32_t ptr, std::uint32_t len, const char* what,
            std::string& out);

  /// Copies up to `cap` bytes of `data` to the guest; returns false after
  /// trapping when the range is bad.
  bool copy_out(std::uint32_t dst, std::uint32_t cap, std::string_view data);

  /// Stores a little-endian integer in guest memory.
  bool store_u32(std::uint32_t ptr, std::uint32_t value);
  bool store_u64(std::uint32_t ptr, std::uint64_t value);
};

/// One function the node can provide as an import.
struct host_function {
  const char* module;
  const char* name;
  /// Parameter and result types: 'i' is i32, 'I' is i64.
  const char* params;
  const char* results;
  wabt::Result (*impl)(host_call&);

  /// The wabt type built from `params` and `results`.
  wabt::interp::FuncType type() const;
};

/// Every function the node provides, `corral` first, then WASI.
const std::vector<host_function>& host_functions();

/// The function `module.name`, or null when the node has none.
const host_function* find_host_function(std::string_view module,
                                        std::string_view name);

/// Creates the host function object for `fn` in `store`, bound to `ctx`.
wabt::interp::HostFunc::Ptr bind(wabt::interp::Store& store,
                                 const host_function& fn, host_context& ctx);

/// True when `text` is valid UTF-8.
bool valid_utf8(std::string_view text);

/// Corral's functions, defined in corral_imports.cpp.
const std::vector<host_function>& corral_functions();

/// WASI preview 1, defined in wasi_imports.cpp.
const std::vector<host_function>& wasi_functions();

} // namespace corral::wasm
