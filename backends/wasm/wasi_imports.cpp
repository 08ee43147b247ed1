// A subset of WASI preview 1: enough for wasi-libc programs to run, with no
// ambient authority. Output goes to the node log; there are no files,
// directories or sockets.
#include <chrono>
#include <ctime>

#include <sodium.h>

#include "backends/wasm/host_functions.hpp"

namespace corral::wasm {

namespace {

using wabt::Result;

// WASI errno values used here.
constexpr std::int32_t wasi_success = 0;
constexpr std::int32_t wasi_ebadf = 8;
constexpr std::int32_t wasi_einval = 28;
constexpr std::int32_t wasi_enosys = 52;

// A character device with only the right to write: wasi-libc then treats
// stdout and stderr as terminals and flushes them at every newline.
constexpr std::uint8_t wasi_filetype_character_device = 2;
constexpr std::uint64_t wasi_right_fd_write = 1u << 6;

// Most bytes one fd_write call logs.
constexpr std::uint64_t max_write_bytes = 64 * 1024;

// Appends `data` to the stream's partial line and logs every full line.
void write_stream(host_context& ctx, int fd, std::string_view data) {
  auto& line = fd == 1 ? ctx.stdout_line : ctx.stderr_line;
  constexpr std::size_t max_line = 4096;
  for (char c : data) {
    if (c != '\n' && line.size() < max_line) {
      line += c;
      continue;
    }
    if (c != '\n')
      line += c;
    if (ctx.env != nullptr)
      ctx.env->log(fd == 1 ? spdlog::level::info : spdlog::level::warn,
                   (fd == 1 ? "stdout: " : "stderr: ") + line);
    line.clear();
  }
}

Result fd_write(host_call& call) {
  auto fd = call.u32(0);
  auto iovs = call.u32(1);
  auto count = call.u32(2);
  if (fd != 1 && fd != 2)
    return call.ret(wasi_ebadf);
  if (count > 1024)
    return call.ret(wasi_einval);
  if (!call.check(iovs, count * 8u, "iovec array"))
    return Result::Error;
  std::uint64_t total = 0;
  auto* base = call.ctx.memory->UnsafeData();
  for (std::uint32_t i = 0; i < count; ++i) {
    auto* entry = base + iovs + 8 * i;
    std::uint32_t ptr = 0, len = 0;
    for (int k = 0; k < 4; ++k) {
      ptr |= std::uint32_t{entry[k]} << (8 * k);
      len |= std::uint32_t{entry[4 + k]} << (8 * k);
    }
    if (!call.check(ptr, len, "iovec buffer"))
      return Result::Error;
    // One host call cannot be preempted, so it writes at most
    // max_write_bytes; a short count is valid WASI and wasi-libc loops.
    auto take = static_cast<std::uint32_t>(
      std::min<std::uint64_t>(len, max_write_bytes - total));
    write_stream(call.ctx, static_cast<int>(fd), call.view(ptr, take));
    total += take;
    if (total >= max_write_bytes)
      break;
  }
  if (!call.store_u32(call.u32(3), static_cast<std::uint32_t>(total)))
    return Result::Error;
  return call.ret(wasi_success);
}

Result fd_fdstat_get(host_call& call) {
  auto fd = call.u32(0);
  if (fd != 1 && fd != 2)
    return call.ret(wasi_ebadf);
  auto out = call.u32(1);
  if (!call.check(out, 24, "fdstat"))
    return Result::Error;
  auto* p = call.ctx.memory->UnsafeData() + out;
  std::fill(p, p + 24, std::uint8_t{0});
  p[0] = wasi_filetype_character_device;
  if (!call.store_u64(out + 8, wasi_right_fd_write))
    return Result::Error;
  return call.ret(wasi_success);
}

// Writes a list of strings the C way: a table of pointers at `table` and
// the NUL-terminated strings at `buffer`.
Result put_strings(host_call& call, const std::vector<std::string>& items) {
  auto table = call.u32(0);
  auto buffer = call.u32(1);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!call.store_u32(table + 4 * static_cast<std::uint32_t>(i), buffer))
      return Result::Error;
    std::string with_nul = items[i] + '\0';
    auto len = static_cast<std::uint32_t>(with_nul.size());
    if (!call.copy_out(buffer, len, with_nul))
      return Result::Error;
    buffer += len;
  }
  return call.ret(wasi_success);
}

Result put_sizes(host_call& call, const std::vector<std::string>& items) {
  std::uint64_t bytes = 0;
  for (const auto& item : items)
    bytes += item.size() + 1;
  if (!call.store_u32(call.u32(0), static_cast<std::uint32_t>(items.size()))
      || !call.store_u32(call.u32(1), static_cast<std::uint32_t>(bytes)))
    return Result::Error;
  return call.ret(wasi_success);
}

std::vector<std::string> arguments(host_call& call) {
  return {call.ctx.env->self_id()};
}

std::vector<std::string> environment(host_call& call) {
  std::vector<std::string> out;
  for (const auto& [key, value] : call.ctx.env->environment())
    out.push_back(key + "=" + value);
  return out;
}

Result args_get(host_call& call) {
  return put_strings(call, arguments(call));
}

Result args_sizes_get(host_call& call) {
  return put_sizes(call, arguments(call));
}

Result environ_get(host_call& call) {
  return put_strings(call, environment(call));
}

Result environ_sizes_get(host_call& call) {
  return put_sizes(call, environment(call));
}

// Clock ids 0 (realtime) and 1 (monotonic); the CPU-time clocks would tell
// a guest about the node's scheduling, so they are not offered.
Result clock_time_get(host_call& call) {
  std::uint64_t ns;
  using namespace std::chrono;
  switch (call.u32(0)) {
    case 0:
      ns = duration_cast<nanoseconds>(system_clock::now().time_since_epoch())
             .count();
      break;
    case 1:
      ns = duration_cast<nanoseconds>(steady_clock::now().time_since_epoch())
             .count();
      break;
    default:
      return call.ret(wasi_einval);
  }
  if (!call.store_u64(call.u32(2), ns))
    return Result::Error;
  return call.ret(wasi_success);
}

Result clock_res_get(host_call& call) {
  if (call.u32(0) > 1)
    return call.ret(wasi_einval);
  if (!call.store_u64(call.u32(1), 1))
    return Result::Error;
  return call.ret(wasi_success);
}

Result random_get(host_call& call) {
  auto ptr = call.u32(0);
  auto len = call.u32(1);
  if (!call.check(ptr, len, "buffer"))
    return Result::Error;
  if (len > 0)
    randombytes_buf(call.ctx.memory->UnsafeData() + ptr, len);
  return call.ret(wasi_success);
}

Result proc_exit(host_call& call) {
  call.ctx.exit_code = static_cast<std::int32_t>(call.u32(0));
  return call.fail("proc_exit(" + std::to_string(*call.ctx.exit_code) + ")");
}

Result sched_yield(host_call& call) {
  return call.ret(wasi_success);
}

Result bad_descriptor(host_call& call) {
  return call.ret(wasi_ebadf);
}

Result not_supported(host_call& call) {
  return call.ret(wasi_enosys);
}

} // namespace

const std::vector<host_function>& wasi_functions() {
  static const char* m = wasi_module;
  static const std::vector<host_function> all = {
    {m, "args_get", "ii", "i", args_get},
    {m, "args_sizes_get", "ii", "i", args_sizes_get},
    {m, "environ_get", "ii", "i", environ_get},
    {m, "environ_sizes_get", "ii", "i", environ_sizes_get},
    {m, "clock_res_get", "ii", "i", clock_res_get},
    {m, "clock_time_get", "iIi", "i", clock_time_get},
    {m, "fd_write", "iiii", "i", fd_write},
    {m, "fd_fdstat_get", "ii", "i", fd_fdstat_get},
    {m, "random_get", "ii", "i", random_get},
    {m, "proc_exit", "i", "", proc_exit},
    {m, "sched_yield", "", "i", sched_yield},
    // No open files and no preopened directories: every descriptor is bad.
    {m, "fd_advise", "iIIi", "i", bad_descriptor},
    {m, "fd_allocate", "iII", "i", bad_descriptor},
    {m, "fd_close", "i", "i", bad_descriptor},
    {m, "fd_datasync", "i", "i", bad_descriptor},
    {m, "fd_fdstat_set_flags", "ii", "i", bad_descriptor},
    {m, "fd_fdstat_set_rights", "iII", "i", bad_descriptor},
    {m, "fd_filestat_get", "ii", "i", bad_descriptor},
    {m, "fd_filestat_set_size", "iI", "i", bad_descriptor},
    {m, "fd_filestat_set_times", "iIIi", "i", bad_descriptor},
    {m, "fd_pread", "iiiIi", "i", bad_descriptor},
    {m, "fd_prestat_get", "ii", "i", bad_descriptor},
    {m, "fd_prestat_dir_name", "iii", "i", bad_descriptor},
    {m, "fd_pwrite", "iiiIi", "i", bad_descriptor},
    {m, "fd_read", "iiii", "i", bad_descriptor},
    {m, "fd_readdir", "iiiIi", "i", bad_descriptor},
    {m, "fd_renumber", "ii", "i", bad_descriptor},
    {m, "fd_seek", "iIii", "i", bad_descriptor},
    {m, "fd_sync", "i", "i", bad_descriptor},
    {m, "fd_tell", "ii", "i", bad_descriptor},
    {m, "path_create_directory", "iii", "i", bad_descriptor},
    {m, "path_filestat_get", "iiiii", "i", bad_descriptor},
    {m, "path_filestat_set_times", "iiiiIIi", "i", bad_descriptor},
    {m, "path_link", "iiiiiii", "i", bad_descriptor},
    {m, "path_open", "iiiiiIIii", "i", bad_descriptor},
    {m, "path_readlink", "iiiiii", "i", bad_descriptor},
    {m, "path_remove_directory", "iii", "i", bad_descriptor},
    {m, "path_rename", "iiiiii", "i", bad_descriptor},
    {m, "path_symlink", "iiiii", "i", bad_descriptor},
    {m, "path_unlink_file", "iii", "i", bad_descriptor},
    // No sockets, no polling and no signals.
    {m, "poll_oneoff", "iiii", "i", not_supported},
    {m, "proc_raise", "i", "i", not_supported},
    {m, "sock_accept", "iii", "i", not_supported},
    {m, "sock_recv", "iiiiii", "i", not_supported},
    {m, "sock_send", "iiiii", "i", not_supported},
    {m, "sock_shutdown", "ii", "i", not_supported},
  };
  return all;
}

} // namespace corral::wasm
