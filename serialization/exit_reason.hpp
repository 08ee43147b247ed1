#pragma once

#include <cstdint>
#include <string>

namespace corral {

/// Kinds of exit reason; the same for every backend.
enum class exit_kind : std::uint8_t {
  normal,             ///< the agent finished on its own
  shutdown,           ///< stopped on request
  killed,             ///< forced to stop
  crashed,            ///< exception, trap, non-zero exit; see detail
  limit_exceeded,     ///< detail names the resource
  node_down,          ///< its node left the cluster
  backend_failure,    ///< the backend itself failed; see detail
  attestation_failed, ///< the enclave's evidence was rejected
};

/// Returns the snake_case name of `x`.
const char* to_string(exit_kind x);

/// Parses a name produced by `to_string`; returns false for an unknown name.
bool from_string(const std::string& name, exit_kind& x);

/// Why an agent exited: a kind plus a detail for `crashed`,
/// `limit_exceeded` (the resource) and `backend_failure`.
struct exit_reason {
  exit_kind kind = exit_kind::normal;
  std::string detail;

  friend bool operator==(const exit_reason& x, const exit_reason& y) {
    return x.kind == y.kind && x.detail == y.detail;
  }
};

/// Formats as "crashed{detail}" or just "normal" when there is no detail.
std::string to_string(const exit_reason& x);

/// True for every reason other than normal and shutdown: these are the exits
/// after which a transient child is restarted.
bool is_abnormal(const exit_reason& x);

} // namespace corral
