#pragma once

// Helpers shared by the WASM suites: modules written to a temporary folder
// from WAT text or bytes, and spawn requests for them.

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "kernel_test_support.hpp"

namespace corral::testing {

/// The example agents' build folder (echo.wat, counter.wat, ...).
inline std::string example_module(const std::string& file) {
  return std::string{CORRAL_WASM_EXAMPLES_DIR} + "/" + file;
}

/// A folder under the system's temporary folder that lives as long as the
/// object, for the modules one test writes.
class module_folder {
public:
  module_folder() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path()
            / ("corral-wasm-test-" + std::to_string(::getpid()) + "-"
               + std::to_string(counter++));
    std::filesystem::create_directories(path_);
  }

  ~module_folder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }

  module_folder(const module_folder&) = delete;
  module_folder& operator=(const module_folder&) = delete;

  /// Writes `bytes` to `name` in the folder and returns its path.
  std::string write(const std::string& name, const std::string& bytes) {
    auto file = path_ / name;
    std::ofstream out(file, std::ios::binary);
    out << bytes;
    return file.string();
  }

private:
  std::filesystem::path path_;
};

/// A spawn request for a WASM agent of `module`, not restarted, so that its
/// exit stays visible.
inline spawn_request wasm_request(const std::string& agent_id,
                                  const std::string& module) {
  spawn_request request;
  request.agent_id = agent_id;
  request.backend = wasm_backend{module};
  request.restart = restart_type::temporary;
  return request;
}

/// The imports most test modules need, in WAT.
inline const char* wat_imports = R"(
  (import "corral" "message_topic" (func $topic (param i32 i32) (result i32)))
  (import "corral" "message_payload" (func $payload (param i32 i32) (result i32)))
  (import "corral" "reply" (func $reply (param i32 i32) (result i32)))
)";

/// A module whose handler runs `body` (WAT instructions ending with an i32
/// on the stack) with the imports above, `pages` pages of memory and
/// `extra` (more imports first, then other fields).
inline std::string wat_agent(const std::string& body,
                             const std::string& extra = {}, int pages = 1) {
  return std::string{"(module "} + wat_imports + extra
         + " (memory (export \"memory\") " + std::to_string(pages) + ")"
         + R"( (func (export "corral_on_message") (param $kind i32) (param $topic_len i32) (param $payload_len i32) (result i32) )"
         + body + "))";
}

} // namespace corral::testing
