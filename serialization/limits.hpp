#pragma once

#include <cstdint>
#include <optional>

namespace corral {

/// Resource limits of one agent; an absent field means "no limit" (or the
/// backend's default). Each backend maps them onto what it can enforce.
struct limits {
  /// Memory in bytes: estimated for native agents, linear memory for WASM,
  /// the cgroup limit for containers.
  std::optional<std::uint64_t> memory_bytes;
  /// CPU time in milliseconds over the agent's life (native: handler time).
  std::optional<std::uint64_t> cpu_ms;
  /// WASM instructions over the agent's life.
  std::optional<std::uint64_t> fuel;
  /// Messages the agent may receive over its life.
  std::optional<std::uint64_t> max_messages;
  /// Wall time in milliseconds a single message may take to handle.
  std::optional<std::uint64_t> message_timeout_ms;
  /// Mailbox capacity for backends that buffer outside CAF.
  std::optional<std::uint64_t> mailbox_size;
  /// WASM instructions a single message may take.
  std::optional<std::uint64_t> fuel_per_message;
  /// WASM call frames the guest may nest.
  std::optional<std::uint64_t> call_depth;
  /// WASM values (locals and operands) the guest's stack may hold.
  std::optional<std::uint64_t> value_stack;
};

/// Returns true when `x` sets at least one limit.
inline bool sets_any(const limits& x) {
  return x.memory_bytes || x.cpu_ms || x.fuel || x.max_messages
         || x.message_timeout_ms || x.mailbox_size || x.fuel_per_message
         || x.call_depth || x.value_stack;
}

} // namespace corral
