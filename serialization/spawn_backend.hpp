#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace corral {

/// Hardware (or simulated) trusted execution environment kinds.
enum class enclave_type : std::uint8_t { sgx, sev, tdx, trustzone, simulation };

/// Returns "sgx", "sev", "tdx", "trustzone" or "simulation".
const char* to_string(enclave_type x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, enclave_type& x);

/// What a Tee agent runs and what its attestation must show.
struct enclave_config {
  enclave_type type = enclave_type::simulation;
  /// Path of the WASM module the enclave host loads.
  std::string workload;
  /// Expected measurement as lowercase hex SHA-256; empty accepts any.
  std::optional<std::string> expected_measurement;
  /// Enclave memory size in bytes.
  std::uint64_t memory_bytes = 64ull * 1024 * 1024;
  /// Debug enclaves are refused unless the node policy allows them.
  bool debug = false;
};

/// Number of hex digits in a measurement (a SHA-256 digest).
inline constexpr std::size_t measurement_hex_digits = 64;

/// Largest enclave memory size: the workload is a 32-bit WASM module, whose
/// linear memory cannot grow past 4 GiB.
inline constexpr std::uint64_t max_enclave_memory_bytes = 4ull << 30;

/// True when `text` is 64 lowercase hex digits.
bool is_measurement(const std::string& text);

/// Returns what is wrong with `x`, starting with the field name
/// ("workload: must not be empty ..."), or nothing when it is valid. The
/// JSON reader checks the same rules as it reads; a config decoded from
/// the cereal form is checked only through this function.
std::optional<std::string> enclave_config_error(const enclave_config& x);

/// Runs the agent as a registered native behavior on the local scheduler.
struct native_backend {};

/// Runs the agent in a sandboxed WebAssembly instance.
struct wasm_backend {
  /// Path of a .wasm or .wat module.
  std::string module;
  /// Lowercase hex SHA-256 that the module's bytes must have. A node that
  /// stores bytes with this hash (e.g. shipped by the spawning node) runs
  /// them without reading `module`; otherwise it reads `module` and rejects
  /// the spawn when the hash differs.
  std::optional<std::string> sha256 = std::nullopt;
};

/// Runs the agent in a container driven by Podman.
struct container_backend {
  std::string image;
};

/// Runs the agent's workload behind an attested enclave proxy.
struct tee_backend {
  enclave_config enclave;
};

/// Every backend that can run an agent on the node that receives the spawn.
using local_backend
  = std::variant<native_backend, wasm_backend, container_backend, tee_backend>;

/// The failover mode: the nodes on which a supervisor may restart a Remote
/// agent whose node is no longer alive.
enum class failover_mode : std::uint8_t {
  /// Restart on the same node only, which fails while that node is down.
  none,
  /// Restart on another alive member, or on this node if none is alive.
  any,
};

/// Returns "none" or "any".
const char* to_string(failover_mode x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, failover_mode& x);

/// The failover setting of one Remote spawn.
struct failover_policy {
  failover_mode mode = failover_mode::none;
  /// Node ids tried first, in this order, when `mode` is `any`.
  std::vector<std::string> preferred;
};

/// Spawns the agent on another node, with `inner` as the backend there.
struct remote_backend {
  std::string node_id;
  local_backend inner = native_backend{};
  failover_policy failover;
};

/// Where and how a spawned agent runs. Code that switches on the kind keeps
/// a default branch, because more variants may follow.
using spawn_backend = std::variant<native_backend, wasm_backend,
                                   container_backend, tee_backend,
                                   remote_backend>;

/// Returns "Native", "Wasm", "Container", "Tee" or "Remote", the names the
/// JSON form uses.
const char* backend_name(const spawn_backend& x);

/// Same as above for the backends a node runs itself.
const char* backend_name(const local_backend& x);

} // namespace corral
