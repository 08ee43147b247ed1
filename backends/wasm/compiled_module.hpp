#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <wabt/interp/interp.h>

namespace corral::wasm {

/// The export every WASM agent provides to handle messages.
inline constexpr const char* handler_export = "corral_on_message";

/// A function the module imports, as "module.name".
struct import_ref {
  std::string module;
  std::string name;

  /// "module.name", the form capabilities and errors use.
  std::string qualified() const {
    return module + "." + name;
  }
};

/// A parsed, validated module that any number of instances share. It is
/// immutable once built, so instances on different threads may read it.
struct compiled_module {
  /// Hex SHA-256 of the file's bytes: the cache key.
  std::string sha256;
  /// The file it was first read from, for messages.
  std::string path;
  /// Size of the binary form in bytes.
  std::size_t binary_size = 0;
  /// wabt's description; instances copy it into their own store.
  wabt::interp::ModuleDesc desc;
  /// Every function the module imports.
  std::vector<import_ref> imports;
  /// Export indexes into `desc.exports`, or -1 when absent.
  int handler = -1;
  int memory = -1;
  int initialize = -1;
  int init = -1;
};

} // namespace corral::wasm
