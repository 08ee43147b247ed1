// Names of enumerators as they appear in logs, the CLI and the JSON forms.
//
// Each enum has a `name_of` switch without a default branch, so the compiler
// warns (-Wswitch) when an enumerator is added without a name. The parsers
// walk the enumerators from 0 upwards until `name_of` returns nullptr, which
// relies on every enum here being contiguous from 0.

#include <string>

#include "serialization/capabilities.hpp"
#include "serialization/errc.hpp"
#include "serialization/exit_reason.hpp"
#include "serialization/message.hpp"
#include "serialization/process_info.hpp"
#include "serialization/spawn_backend.hpp"
#include "serialization/supervision.hpp"

namespace corral {

namespace {

/// Name that `to_string` returns for a value outside the enum's
/// enumerators. No parser accepts it.
constexpr const char* unknown_name = "unknown";

const char* name_of(errc x) {
  switch (x) {
    case errc::none:
      return "none";
    case errc::process_not_found:
      return "process_not_found";
    case errc::invalid_state_transition:
      return "invalid_state_transition";
    case errc::process_table_full:
      return "process_table_full";
    case errc::backend_not_available:
      return "backend_not_available";
    case errc::capability_denied:
      return "capability_denied";
    case errc::resource_limit_exceeded:
      return "resource_limit_exceeded";
    case errc::spawn_failed:
      return "spawn_failed";
    case errc::timeout:
      return "timeout";
    case errc::invalid_request:
      return "invalid_request";
    case errc::node_unreachable:
      return "node_unreachable";
    case errc::attestation_failed:
      return "attestation_failed";
    case errc::agent_id_in_use:
      return "agent_id_in_use";
    case errc::agent_type_unknown:
      return "agent_type_unknown";
    case errc::mailbox_full:
      return "mailbox_full";
    case errc::internal_error:
      return "internal_error";
    case errc::agent_exited:
      return "agent_exited";
  }
  return nullptr;
}

const char* name_of(enclave_type x) {
  switch (x) {
    case enclave_type::sgx:
      return "sgx";
    case enclave_type::sev:
      return "sev";
    case enclave_type::tdx:
      return "tdx";
    case enclave_type::trustzone:
      return "trustzone";
    case enclave_type::simulation:
      return "simulation";
  }
  return nullptr;
}

const char* name_of(send_scope_kind x) {
  switch (x) {
    case send_scope_kind::all:
      return "all";
    case send_scope_kind::parent_only:
      return "parent_only";
    case send_scope_kind::children:
      return "children";
    case send_scope_kind::listed:
      return "listed";
    case send_scope_kind::none:
      return "none";
  }
  return nullptr;
}

const char* name_of(restart_type x) {
  switch (x) {
    case restart_type::permanent:
      return "permanent";
    case restart_type::transient:
      return "transient";
    case restart_type::temporary:
      return "temporary";
  }
  return nullptr;
}

const char* name_of(failover_mode x) {
  switch (x) {
    case failover_mode::none:
      return "none";
    case failover_mode::any:
      return "any";
  }
  return nullptr;
}

const char* name_of(restart_strategy x) {
  switch (x) {
    case restart_strategy::one_for_one:
      return "one_for_one";
    case restart_strategy::one_for_all:
      return "one_for_all";
    case restart_strategy::rest_for_one:
      return "rest_for_one";
  }
  return nullptr;
}

const char* name_of(exit_kind x) {
  switch (x) {
    case exit_kind::normal:
      return "normal";
    case exit_kind::shutdown:
      return "shutdown";
    case exit_kind::killed:
      return "killed";
    case exit_kind::crashed:
      return "crashed";
    case exit_kind::limit_exceeded:
      return "limit_exceeded";
    case exit_kind::node_down:
      return "node_down";
    case exit_kind::backend_failure:
      return "backend_failure";
    case exit_kind::attestation_failed:
      return "attestation_failed";
  }
  return nullptr;
}

const char* name_of(message_kind x) {
  switch (x) {
    case message_kind::cast:
      return "cast";
    case message_kind::request:
      return "request";
    case message_kind::reply:
      return "reply";
    case message_kind::failure:
      return "failure";
  }
  return nullptr;
}

const char* name_of(process_state x) {
  switch (x) {
    case process_state::starting:
      return "starting";
    case process_state::running:
      return "running";
    case process_state::suspended:
      return "suspended";
    case process_state::stopping:
      return "stopping";
    case process_state::exited:
      return "exited";
  }
  return nullptr;
}

const char* name_of(dead_letter_reason x) {
  switch (x) {
    case dead_letter_reason::unknown_target:
      return "unknown_target";
    case dead_letter_reason::exited_target:
      return "exited_target";
    case dead_letter_reason::mailbox_full:
      return "mailbox_full";
    case dead_letter_reason::timeout:
      return "timeout";
    case dead_letter_reason::capability_denied:
      return "capability_denied";
    case dead_letter_reason::too_large:
      return "too_large";
  }
  return nullptr;
}

template <class Enum>
const char* name_or_unknown(Enum x) {
  const char* name = name_of(x);
  return name != nullptr ? name : unknown_name;
}

/// Finds the enumerator called `name`; every enum here has std::uint8_t as
/// its underlying type and enumerators 0, 1, 2, ... without gaps.
template <class Enum>
bool parse_enum(const std::string& name, Enum& out) {
  for (unsigned value = 0; value < 256; ++value) {
    auto candidate = static_cast<Enum>(value);
    const char* candidate_name = name_of(candidate);
    if (candidate_name == nullptr)
      return false;
    if (name == candidate_name) {
      out = candidate;
      return true;
    }
  }
  return false;
}

} // namespace

const char* to_string(errc code) {
  return name_or_unknown(code);
}

bool from_string(const std::string& name, errc& code) {
  return parse_enum(name, code);
}

std::string to_string(const failure& x) {
  std::string text = to_string(x.code);
  if (!x.detail.empty()) {
    text += ": ";
    text += x.detail;
  }
  return text;
}

const char* to_string(enclave_type x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, enclave_type& x) {
  return parse_enum(name, x);
}

const char* to_string(send_scope_kind x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, send_scope_kind& x) {
  return parse_enum(name, x);
}

const char* to_string(restart_type x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, restart_type& x) {
  return parse_enum(name, x);
}

const char* to_string(failover_mode x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, failover_mode& x) {
  return parse_enum(name, x);
}

const char* to_string(restart_strategy x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, restart_strategy& x) {
  return parse_enum(name, x);
}

const char* to_string(exit_kind x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, exit_kind& x) {
  return parse_enum(name, x);
}

std::string to_string(const exit_reason& x) {
  std::string text = to_string(x.kind);
  if (!x.detail.empty()) {
    text += '{';
    text += x.detail;
    text += '}';
  }
  return text;
}

bool is_abnormal(const exit_reason& x) {
  return x.kind != exit_kind::normal && x.kind != exit_kind::shutdown;
}

const char* to_string(message_kind x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, message_kind& x) {
  return parse_enum(name, x);
}

const char* to_string(process_state x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, process_state& x) {
  return parse_enum(name, x);
}

const char* to_string(dead_letter_reason x) {
  return name_or_unknown(x);
}

bool from_string(const std::string& name, dead_letter_reason& x) {
  return parse_enum(name, x);
}

namespace {

struct backend_name_visitor {
  const char* operator()(const native_backend&) const {
    return "Native";
  }
  const char* operator()(const wasm_backend&) const {
    return "Wasm";
  }
  const char* operator()(const container_backend&) const {
    return "Container";
  }
  const char* operator()(const tee_backend&) const {
    return "Tee";
  }
  const char* operator()(const remote_backend&) const {
    return "Remote";
  }
};

} // namespace

const char* backend_name(const spawn_backend& x) {
  return std::visit(backend_name_visitor{}, x);
}

const char* backend_name(const local_backend& x) {
  return std::visit(backend_name_visitor{}, x);
}

} // namespace corral
