#pragma once

// The JSON forms of the data types, used by the CLI, config files and the
// control endpoint. docs/json-forms.md describes them for users.
//
// `from_json<T>` returns failure{errc::invalid_request, "path: ..."} for the
// first error, where the path starts at the document's name: the field name
// for types that appear as fields (backend, enclave, capabilities, limits,
// supervision) and the type name otherwise (spawn_request, message, ...).
// It never throws, whatever the input.

#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

#include "serialization/capabilities.hpp"
#include "serialization/exit_reason.hpp"
#include "serialization/json_reader.hpp"
#include "serialization/limits.hpp"
#include "serialization/message.hpp"
#include "serialization/pid.hpp"
#include "serialization/process_info.hpp"
#include "serialization/result.hpp"
#include "serialization/spawn_backend.hpp"
#include "serialization/spawn_request.hpp"
#include "serialization/supervision.hpp"

namespace corral {

/// Deepest nesting of arrays and objects that `parse_json_text` accepts.
/// nlohmann::json parses and destroys any depth without recursion, but
/// copies and dumps recurse, so a deeper document could overflow the stack
/// of the code that copies it. The forms here nest at most 6 levels.
inline constexpr std::size_t max_json_depth = 256;

/// Parses JSON text. A syntax error, a NUL byte anywhere, or nesting deeper
/// than `max_json_depth`, returns failure{errc::invalid_request, "invalid
/// JSON at byte N: ..."}, where N counts from 1.
result<nlohmann::json> parse_json_text(const std::string& text);

// -- writing ----------------------------------------------------------------
//
// Optional fields that are absent are left out, never written as null.

/// "Native", or an object with the variant's name as its only key, e.g.
/// {"Wasm":{"module":"agent.wasm"}}.
nlohmann::json to_json(const spawn_backend& x);

/// Same form as a spawn_backend.
nlohmann::json to_json(const local_backend& x);

nlohmann::json to_json(const enclave_config& x);

/// `can_send` is a name ("all", "parent_only", "children", "none") when it
/// has no topics, else an object; see `read_json(json_at, send_scope&)`.
nlohmann::json to_json(const capabilities& x);

nlohmann::json to_json(const limits& x);
nlohmann::json to_json(const supervisor_spec& x);
nlohmann::json to_json(const spawn_request& x);
nlohmann::json to_json(const spawn_result& x);

/// The string "node:pid".
nlohmann::json to_json(const global_pid& x);

/// The payload is written as "payload" when it is valid UTF-8, else as
/// "payload_base64".
nlohmann::json to_json(const message& x);

/// {"kind":"crashed","detail":"..."}; the detail is left out when empty.
nlohmann::json to_json(const exit_reason& x);

nlohmann::json to_json(const usage& x);
nlohmann::json to_json(const process_info& x);
nlohmann::json to_json(const state_change& x);
nlohmann::json to_json(const dead_letter& x);

// -- reading ----------------------------------------------------------------

/// Reads a `T` from its JSON form. Explicitly specialized for every type
/// with a `to_json` above; other types do not link.
template <class T>
result<T> from_json(const nlohmann::json& value);

template <>
result<spawn_backend> from_json(const nlohmann::json& value);
template <>
result<local_backend> from_json(const nlohmann::json& value);
template <>
result<enclave_config> from_json(const nlohmann::json& value);
template <>
result<capabilities> from_json(const nlohmann::json& value);
template <>
result<limits> from_json(const nlohmann::json& value);
template <>
result<supervisor_spec> from_json(const nlohmann::json& value);
template <>
result<spawn_request> from_json(const nlohmann::json& value);
template <>
result<spawn_result> from_json(const nlohmann::json& value);
template <>
result<global_pid> from_json(const nlohmann::json& value);
template <>
result<message> from_json(const nlohmann::json& value);
template <>
result<exit_reason> from_json(const nlohmann::json& value);
template <>
result<usage> from_json(const nlohmann::json& value);
template <>
result<process_info> from_json(const nlohmann::json& value);
template <>
result<state_change> from_json(const nlohmann::json& value);
template <>
result<dead_letter> from_json(const nlohmann::json& value);

// Path-aware readers behind `from_json`, for documents that embed these
// types, e.g. a cluster config with a list of spawn requests. Each throws
// json_read_error naming the path of the first error; wrap the outermost
// call in `read_json_document`.

/// Accepts "Native" and every other variant name as a string, which reads
/// like the variant with no fields ("Wasm" then misses its module), or an
/// object with exactly one key. A Remote backend inside Remote is rejected.
void read_json(const json_at& at, spawn_backend& x);

/// The backends without Remote.
void read_json(const json_at& at, local_backend& x);

/// `enclave_type` and `workload` are required; `expected_measurement` must
/// be 64 hex digits and is stored in lowercase.
void read_json(const json_at& at, enclave_config& x);

/// A scope name, or an object {"scope", "agents", "topics"} where every key
/// is optional: "agents" implies (and requires) scope "listed", and scope
/// defaults to "all" otherwise.
void read_json(const json_at& at, send_scope& x);

void read_json(const json_at& at, capabilities& x);
void read_json(const json_at& at, limits& x);

/// Also checks that period_ms is at least 1 and that backoff_initial_ms
/// does not exceed backoff_max_ms.
void read_json(const json_at& at, supervisor_spec& x);

/// Only agent_id is required, and it must pass `agent_id_error`. The JSON
/// field `capabilities` is the struct member `caps`.
void read_json(const json_at& at, spawn_request& x);

void read_json(const json_at& at, spawn_result& x);

/// Reads a "node:pid" string, split at its last ':'.
void read_json(const json_at& at, global_pid& x);

/// `to` is required; exactly one of `payload` and `payload_base64` may be
/// given.
void read_json(const json_at& at, message& x);

/// The object form, or a kind name alone, e.g. "normal".
void read_json(const json_at& at, exit_reason& x);

void read_json(const json_at& at, usage& x);
void read_json(const json_at& at, process_info& x);
void read_json(const json_at& at, state_change& x);
void read_json(const json_at& at, dead_letter& x);

} // namespace corral
