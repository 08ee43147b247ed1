#include "backends/wasm/host_functions.hpp"

#include <cstring>

namespace corral::wasm {

namespace wi = wabt::interp;

void host_context::flush_output() {
  if (env == nullptr)
    return;
  if (!stdout_line.empty())
    env->log(spdlog::level::info, "stdout: " + stdout_line);
  if (!stderr_line.empty())
    env->log(spdlog::level::warn, "stderr: " + stderr_line);
  stdout_line.clear();
  stderr_line.clear();
}

wabt::Result host_call::ret(std::int32_t value) {
  results.resize(1);
  results[0] = wi::Value::Make(static_cast<std::uint32_t>(value));
  return wabt::Result::Ok;
}

wabt::Result host_call::ret64(std::int64_t value) {
  results.resize(1);
  results[0] = wi::Value::Make(static_cast<std::uint64_t>(value));
  return wabt::Result::Ok;
}

wabt::Result host_call::fail(const std::string& what) {
  *trap = wi::Trap::New(thread.store(), std::string(name) + ": " + what);
  return wabt::Result::Error;
}

bool host_call::check(std::uint32_t ptr, std::uint32_t len,
                      const char* what) {
  if (ctx.memory != nullptr && ctx.memory->IsValidAccess(ptr, 0, len))
    return true;
  auto size = ctx.memory ? ctx.memory->ByteSize() : 0;
  fail(std::string(what) + " range [" + std::to_string(ptr) + ", "
       + std::to_string(std::uint64_t{ptr} + len)
       + ") is outside linear memory of " + std::to_string(size) + " bytes");
  return false;
}

std::string_view host_call::view(std::uint32_t ptr, std::uint32_t len) {
  if (len == 0)
    return {};
  return {reinterpret_cast<const char*>(ctx.memory->UnsafeData()) + ptr, len};
}

bool host_call::read(std::uint32_t ptr, std::uint32_t len, const char* what,
                     std::string& out) {
  if (!check(ptr, len, what))
    return false;
  out.assign(view(ptr, len));
  return true;
}

bool host_call::copy_out(std::uint32_t dst, std::uint32_t cap,
                         std::string_view data) {
  auto n = static_cast<std::uint32_t>(
    std::min<std::size_t>(cap, data.size()));
  if (!check(dst, n, "destination"))
    return false;
  if (n > 0)
    std::memcpy(ctx.memory->UnsafeData() + dst, data.data(), n);
  return true;
}

bool host_call::store_u32(std::uint32_t ptr, std::uint32_t value) {
  if (!check(ptr, 4, "result"))
    return false;
  auto* out = ctx.memory->UnsafeData() + ptr;
  for (int i = 0; i < 4; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return true;
}

bool host_call::store_u64(std::uint32_t ptr, std::uint64_t value) {
  if (!check(ptr, 8, "result"))
    return false;
  auto* out = ctx.memory->UnsafeData() + ptr;
  for (int i = 0; i < 8; ++i)
    out[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return true;
}

wi::FuncType host_function::type() const {
  auto types = [](const char* spec) {
    wi::ValueTypes out;
    for (const char* c = spec; *c != '\0'; ++c)
      out.push_back(*c == 'I' ? wabt::Type::I64 : wabt::Type::I32);
    return out;
  };
  return wi::FuncType{types(params), types(results)};
}

const std::vector<host_function>& host_functions() {
  static const std::vector<host_function> all = [] {
    std::vector<host_function> out = corral_functions();
    const auto& wasi = wasi_functions();
    out.insert(out.end(), wasi.begin(), wasi.end());
    return out;
  }();
  return all;
}

const host_function* find_host_function(std::string_view module,
                                        std::string_view name) {
  for (const auto& fn : host_functions())
    if (module == fn.module && name == fn.name)
      return &fn;
  return nullptr;
}

wi::HostFunc::Ptr bind(wi::Store& store, const host_function& fn,
                       host_context& ctx) {
  auto* context = &ctx;
  auto* function = &fn;
  return wi::HostFunc::New(
    store, fn.type(),
    [context, function](wi::Thread& thread, const wi::Values& params,
                        wi::Values& results,
                        wi::Trap::Ptr* trap) -> wabt::Result {
      host_call call{*context, function->name, params, results, trap, thread};
      return function->impl(call);
    });
}

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    std::size_t extra;
    std::uint32_t min;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      min = 0x10000;
    } else {
      return false;
    }
    if (i + extra >= text.size())
      return false;
    std::uint32_t code = c & (0x3f >> extra);
    for (std::size_t k = 1; k <= extra; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80)
        return false;
      code = (code << 6) | (next & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return false;
    i += extra + 1;
  }
  return true;
}

} // namespace corral::wasm
