#include "backends/remote/module_shipping.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "actors/error.hpp"

namespace corral::remote {

namespace {

caf::error module_file_error(const std::string& path,
                             const std::string& node_id,
                             const std::string& what) {
  return make_error(errc::spawn_failed,
                    "WASM module " + path + " on node " + node_id + " " + what);
}

} // namespace

caf::error stage_module(wasm_backend& wasm, module_store& store,
                        const std::string& node_id) {
  if (wasm.sha256 && store.find(*wasm.sha256))
    return {};
  const auto& path = wasm.module;
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return module_file_error(path, node_id,
                             std::string("cannot be read: ")
                               + std::strerror(errno)
                               + "; the spawning node reads the module and "
                                 "sends it to the target node");
  std::string bytes;
  char buffer[65536];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    bytes.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_module_bytes)
      return module_file_error(path, node_id,
                               "is larger than the limit of "
                                 + std::to_string(max_module_bytes)
                                 + " bytes");
  }
  if (in.bad())
    return module_file_error(path, node_id,
                             std::string("cannot be read: ")
                               + std::strerror(errno));
  auto hash = sha256_hex(bytes);
  if (wasm.sha256 && *wasm.sha256 != hash)
    return module_file_error(path, node_id,
                             "has SHA-256 " + hash
                               + ", but the spawn expects " + *wasm.sha256
                               + "; spawn with the module's current hash or "
                                 "without backend.Wasm.sha256");
  store.insert(hash, std::move(bytes));
  wasm.sha256 = hash;
  return {};
}

std::optional<failure> check_module_data(const remote_module_data& data,
                                         const std::string& expected,
                                         const std::string& from) {
  if (data.error)
    return data.error;
  if (data.bytes.size() > max_module_bytes)
    return failure{errc::resource_limit_exceeded,
                   "the WASM module from node " + from + " has "
                     + std::to_string(data.bytes.size())
                     + " bytes, more than the limit of "
                     + std::to_string(max_module_bytes)};
  auto hash = sha256_hex(data.bytes);
  if (hash != expected)
    return failure{errc::spawn_failed,
                   "the WASM module from node " + from
                     + " has SHA-256 " + hash + ", but the spawn named "
                     + expected + "; the module was changed or damaged in "
                                  "transit, so spawn again"};
  return std::nullopt;
}

} // namespace corral::remote
