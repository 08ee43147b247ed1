#pragma once

// Shared by both fuzz targets: a guest_env that replaces the hosting actor,
// a deterministic random source for WASI random_get, and a check that
// aborts so that libFuzzer records the input.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

#include <sodium.h>

#include "backends/wasm/guest_env.hpp"
#include "backends/wasm/host_functions.hpp"
#include "backends/wasm/wasm_instance.hpp"

namespace corral::fuzz {

/// Aborts with `what` when `condition` is false. libFuzzer treats the
/// abort as a crash and saves the input that caused it.
inline void require(bool condition, const char* what) {
  if (condition)
    return;
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

/// True when CORRAL_FUZZ_VERBOSE is set: each step then prints its outcome,
/// which shows what a saved input does when it is run alone.
inline bool verbose() {
  static const bool on = std::getenv("CORRAL_FUZZ_VERBOSE") != nullptr;
  return on;
}

/// Prints "step: outcome" to stderr in verbose mode.
inline void report(const char* step, const std::string& outcome) {
  if (verbose())
    std::fprintf(stderr, "%s: %s\n", step, outcome.c_str());
}

/// Describes how a run ended, for `report`.
inline std::string describe_run(const wasm::run_result& result) {
  using wasm::run_status;
  std::string out;
  switch (result.status) {
    case run_status::returned:
      out = "returned " + std::to_string(result.value);
      break;
    case run_status::paused:
      out = "paused at the budget";
      break;
    case run_status::trapped:
      out = "trapped: " + result.detail;
      break;
    case run_status::exited:
      out = "exited";
      break;
    case run_status::memory_exceeded:
      out = "exceeded the memory limit: " + result.detail;
      break;
  }
  return out + " after " + std::to_string(result.instructions)
         + " instructions";
}

/// Longest log line the host functions produce: corral.log cuts text at
/// 4096 bytes, and fd_write logs "stdout: " or "stderr: " before a line of
/// at most 4097 bytes.
inline constexpr std::size_t max_log_line = 4096 + 16;

/// A guest_env without an actor or a node. Each call returns what a running
/// agent with no peers would return, and checks what the host functions
/// promise to pass on: UTF-8 text, no empty target or topic, bounded
/// payloads and log lines.
class recording_env : public wasm::guest_env {
public:
  /// Creates an environment whose current message is `current`.
  explicit recording_env(message current) : current_(std::move(current)) {
  }

  const message* current_message() const override {
    return &current_;
  }

  std::int32_t reply(std::string payload) override {
    check_payload(payload);
    if (replied_)
      return wasm::abi_no_request;
    replied_ = true;
    return wasm::abi_ok;
  }

  std::int32_t send(const std::string& target, std::string topic,
                    std::string payload) override {
    check_text(target);
    check_text(topic);
    check_payload(payload);
    return target == "nobody" ? wasm::abi_unknown_target : wasm::abi_ok;
  }

  std::int64_t request(const std::string& target, std::string topic,
                       std::string payload,
                       std::uint32_t timeout_ms) override {
    check_text(target);
    check_text(topic);
    check_payload(payload);
    require(timeout_ms > 0 && timeout_ms <= INT32_MAX,
            "request timeout outside 1 to 2^31-1 ms");
    return static_cast<std::int64_t>(++request_ids_);
  }

  std::int32_t publish(std::string topic, std::string payload) override {
    check_text(topic);
    check_payload(payload);
    return wasm::abi_ok;
  }

  std::int32_t broadcast(std::string topic, std::string payload) override {
    check_text(topic);
    check_payload(payload);
    return wasm::abi_ok;
  }

  std::int32_t subscribe(const std::string& topic, bool) override {
    check_text(topic);
    return wasm::abi_ok;
  }

  void log(spdlog::level::level_enum, std::string_view text) override {
    require(text.size() <= max_log_line, "log line longer than the cap");
    report("log", std::string(text));
    ++calls;
    bytes += text.size();
  }

  pid_type self_pid() const override {
    return 7;
  }

  const std::string& self_id() const override {
    return id_;
  }

  const std::map<std::string, std::string>& environment() const override {
    return environment_;
  }

  /// Host calls that reached this environment.
  std::uint64_t calls = 0;
  /// Bytes of text and payload that reached it.
  std::uint64_t bytes = 0;

private:
  void check_text(const std::string& text) {
    require(!text.empty(), "empty target or topic passed on");
    require(wasm::valid_utf8(text), "text that is not UTF-8 passed on");
    ++calls;
    bytes += text.size();
  }

  void check_payload(const std::string& payload) {
    require(payload.size() <= wasm::max_guest_payload,
            "payload over the size limit passed on");
    ++calls;
    bytes += payload.size();
  }

  message current_;
  bool replied_ = false;
  std::uint64_t request_ids_ = 0;
  std::string id_ = "fuzz-agent";
  std::map<std::string, std::string> environment_ = {
    {"HOME", "/"},
    {"CORRAL_FUZZ", "1"},
  };
};

/// Returns the message a target hands to the guest's handler.
inline message fuzz_message(std::string topic, std::string payload) {
  message out;
  out.from = global_pid{"fuzz-node", 3};
  out.to = global_pid{"fuzz-node", 7};
  out.topic = std::move(topic);
  out.payload = std::move(payload);
  out.correlation_id = 42;
  out.kind = message_kind::request;
  return out;
}

namespace detail {

inline std::uint64_t random_state = 0;

// splitmix64: small, and fully determined by its seed.
inline std::uint32_t next_random() {
  random_state += 0x9e3779b97f4a7c15u;
  auto z = random_state;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return static_cast<std::uint32_t>((z ^ (z >> 31)) >> 32);
}

inline void fill_random(void* const buffer, const std::size_t size) {
  auto* out = static_cast<unsigned char*>(buffer);
  for (std::size_t i = 0; i < size; ++i)
    out[i] = static_cast<unsigned char>(next_random());
}

inline const char* random_name() {
  return "corral-fuzz-deterministic";
}

inline randombytes_implementation deterministic_random = {
  random_name, next_random, nullptr, nullptr, fill_random, nullptr,
};

} // namespace detail

/// Replaces libsodium's random source, which backs WASI random_get, with a
/// seeded generator, so that a saved input replays the same guest run.
/// Call once before the first input.
inline void install_deterministic_random() {
  randombytes_set_implementation(&detail::deterministic_random);
  require(sodium_init() >= 0, "libsodium failed to initialise");
}

/// Restarts the deterministic random source. Call before each input.
inline void reset_random() {
  detail::random_state = 0;
}

} // namespace corral::fuzz
