// The writing half of the JSON forms, `parse_json_text`, and the `from_json`
// entry points. The readers live in json_spawn_readers.cpp and
// json_status_readers.cpp.

#include "serialization/json_forms.hpp"

#include <exception>
#include <variant>

#include "serialization/base64.hpp"
#include "serialization/utf8.hpp"

namespace corral {

using nlohmann::json;

namespace {

/// Maximum bytes of a parser message kept in an error, because nlohmann
/// quotes the last token read, which can be a whole (huge) string literal.
constexpr std::size_t max_parser_message_bytes = 200;

/// Returns the 1-based byte offset at which `text` nests arrays and objects
/// deeper than `max_json_depth`, or 0 when it does not. Only needs to be
/// right for valid JSON, because nlohmann rejects the rest anyway.
std::size_t find_excess_nesting(const std::string& text) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_json_depth)
        return i + 1;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return 0;
}

/// Drops nlohmann's "[json.exception.parse_error.101] parse error at line
/// 1, column 5: " prefix (the byte offset replaces it) and cuts the rest.
std::string describe_parser_message(const std::string& what) {
  auto start = what.find("] ");
  start = start == std::string::npos ? 0 : start + 2;
  auto column = what.find("column ", start);
  if (column != std::string::npos) {
    auto colon = what.find(": ", column);
    if (colon != std::string::npos)
      start = colon + 2;
  }
  auto text = what.substr(start);
  if (text.size() > max_parser_message_bytes)
    text = text.substr(0, max_parser_message_bytes) + "...";
  return text;
}

struct backend_to_json {
  json operator()(const native_backend&) const {
    return "Native";
  }

  json operator()(const wasm_backend& x) const {
    json fields = {{"module", x.module}};
    if (x.sha256)
      fields["sha256"] = *x.sha256;
    return {{"Wasm", std::move(fields)}};
  }

  json operator()(const container_backend& x) const {
    return {{"Container", {{"image", x.image}}}};
  }

  json operator()(const tee_backend& x) const {
    return {{"Tee", {{"enclave", to_json(x.enclave)}}}};
  }

  json operator()(const remote_backend& x) const {
    json fields = {{"node_id", x.node_id}, {"backend", to_json(x.inner)}};
    // The default stays out, so that older readers accept the form.
    if (x.failover.mode != failover_mode::none || !x.failover.preferred.empty())
      fields["failover"] = {{"mode", to_string(x.failover.mode)},
                            {"preferred", x.failover.preferred}};
    return {{"Remote", std::move(fields)}};
  }
};

json scope_to_json(const send_scope& x) {
  if (x.kind != send_scope_kind::listed && x.topics.empty())
    return to_string(x.kind);

  json scope = json::object();
  if (x.kind == send_scope_kind::listed)
    scope["agents"] = x.agents;
  else if (x.kind != send_scope_kind::all)
    scope["scope"] = to_string(x.kind);
  if (!x.topics.empty())
    scope["topics"] = x.topics;
  return scope;
}

void put_if_present(json& object, const char* key,
                    const std::optional<std::uint64_t>& value) {
  if (value)
    object[key] = *value;
}

} // namespace

result<json> parse_json_text(const std::string& text) {
  // nlohmann::json 3.11 reads a NUL byte as the end of the input, so it would
  // accept "{}" followed by a NUL and anything at all.
  if (auto nul = text.find('\0'); nul != std::string::npos)
    return failure{errc::invalid_request,
                   "invalid JSON at byte " + std::to_string(nul + 1)
                     + ": a NUL byte, which JSON text must not contain (write "
                       "it as \\u0000 inside a string)"};
  if (auto at = find_excess_nesting(text))
    return failure{errc::invalid_request,
                   "invalid JSON at byte " + std::to_string(at)
                     + ": nested deeper than " + std::to_string(max_json_depth)
                     + " levels"};
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    return failure{errc::invalid_request,
                   "invalid JSON at byte " + std::to_string(e.byte) + ": "
                     + describe_parser_message(e.what())};
  } catch (const json::exception& e) {
    // E.g. out_of_range for a number such as 1e999.
    return failure{errc::invalid_request,
                   "invalid JSON: " + describe_parser_message(e.what())};
  } catch (const std::bad_alloc&) {
    return failure{errc::invalid_request, "invalid JSON: out of memory"};
  } catch (const std::exception& e) {
    return failure{errc::invalid_request,
                   std::string("invalid JSON: ") + e.what()};
  }
}

json to_json(const spawn_backend& x) {
  return std::visit(backend_to_json{}, x);
}

json to_json(const local_backend& x) {
  return std::visit(backend_to_json{}, x);
}

json to_json(const enclave_config& x) {
  json object = {
    {"enclave_type", to_string(x.type)},
    {"workload", x.workload},
    {"memory_bytes", x.memory_bytes},
    {"debug", x.debug},
  };
  if (x.expected_measurement)
    object["expected_measurement"] = *x.expected_measurement;
  return object;
}

json to_json(const capabilities& x) {
  return {
    {"can_spawn", x.can_spawn},
    {"can_send", scope_to_json(x.can_send)},
    {"can_publish", x.can_publish},
    {"can_network", x.can_network},
    {"host_functions", x.host_functions},
  };
}

json to_json(const limits& x) {
  json object = json::object();
  put_if_present(object, "memory_bytes", x.memory_bytes);
  put_if_present(object, "cpu_ms", x.cpu_ms);
  put_if_present(object, "fuel", x.fuel);
  put_if_present(object, "max_messages", x.max_messages);
  put_if_present(object, "message_timeout_ms", x.message_timeout_ms);
  put_if_present(object, "mailbox_size", x.mailbox_size);
  put_if_present(object, "fuel_per_message", x.fuel_per_message);
  put_if_present(object, "call_depth", x.call_depth);
  put_if_present(object, "value_stack", x.value_stack);
  return object;
}

json to_json(const supervisor_spec& x) {
  return {
    {"strategy", to_string(x.strategy)},
    {"max_restarts", x.max_restarts},
    {"period_ms", x.period_ms},
    {"backoff_initial_ms", x.backoff_initial_ms},
    {"backoff_max_ms", x.backoff_max_ms},
  };
}

json to_json(const spawn_request& x) {
  json object = {
    {"agent_id", x.agent_id},
    {"agent_type", x.agent_type},
    {"env", x.env},
    {"backend", to_json(x.backend)},
    {"restart", to_string(x.restart)},
    {"supervision", to_json(x.supervision)},
    {"limits", to_json(x.limits)},
  };
  if (x.caps)
    object["capabilities"] = to_json(*x.caps);
  if (x.parent_pid)
    object["parent_pid"] = *x.parent_pid;
  return object;
}

json to_json(const spawn_result& x) {
  return {
    {"pid", x.pid},
    {"agent_id", x.agent_id},
    {"global", to_json(x.global)},
  };
}

json to_json(const global_pid& x) {
  return to_string(x);
}

json to_json(const message& x) {
  json object = {
    {"from", to_json(x.from)},
    {"to", to_json(x.to)},
    {"topic", x.topic},
    {"correlation_id", x.correlation_id},
    {"trace_id", x.trace_id},
    {"kind", to_string(x.kind)},
  };
  // nlohmann throws when it dumps a string that is not UTF-8, so binary
  // payloads must go out as base64.
  if (is_valid_utf8(x.payload))
    object["payload"] = x.payload;
  else
    object["payload_base64"] = base64_encode(x.payload);
  return object;
}

json to_json(const exit_reason& x) {
  json object = {{"kind", to_string(x.kind)}};
  if (!x.detail.empty())
    object["detail"] = x.detail;
  return object;
}

json to_json(const usage& x) {
  return {
    {"messages_in", x.messages_in},   {"messages_out", x.messages_out},
    {"cpu_ns", x.cpu_ns},             {"memory_bytes", x.memory_bytes},
    {"fuel", x.fuel},
  };
}

json to_json(const process_info& x) {
  json object = {
    {"pid", x.pid},
    {"global", to_json(x.global)},
    {"agent_id", x.agent_id},
    {"agent_type", x.agent_type},
    {"backend", x.backend},
    {"node", x.node},
    {"state", to_string(x.state)},
    {"parent", x.parent},
    {"children", x.children},
    {"capabilities", to_json(x.caps)},
    {"limits", to_json(x.limits)},
    {"usage", to_json(x.usage)},
    {"restart", to_string(x.restart)},
    {"restart_count", x.restart_count},
    {"start_time_ms", x.start_time_ms},
  };
  if (x.exit)
    object["exit"] = to_json(*x.exit);
  if (!x.backend_details.empty())
    object["backend_details"] = x.backend_details;
  return object;
}

json to_json(const state_change& x) {
  json object = {
    {"pid", x.pid},
    {"agent_id", x.agent_id},
    {"from", to_string(x.from)},
    {"to", to_string(x.to)},
    {"time_ms", x.time_ms},
  };
  if (x.exit)
    object["exit"] = to_json(*x.exit);
  return object;
}

json to_json(const dead_letter& x) {
  return {
    {"message", to_json(x.message)},
    {"target", x.target},
    {"reason", to_string(x.reason)},
    {"time_ms", x.time_ms},
  };
}

template <>
result<spawn_backend> from_json(const json& value) {
  return read_json_document<spawn_backend>(value, "backend");
}

template <>
result<local_backend> from_json(const json& value) {
  return read_json_document<local_backend>(value, "backend");
}

template <>
result<enclave_config> from_json(const json& value) {
  return read_json_document<enclave_config>(value, "enclave");
}

template <>
result<capabilities> from_json(const json& value) {
  return read_json_document<capabilities>(value, "capabilities");
}

template <>
result<limits> from_json(const json& value) {
  return read_json_document<limits>(value, "limits");
}

template <>
result<supervisor_spec> from_json(const json& value) {
  return read_json_document<supervisor_spec>(value, "supervision");
}

template <>
result<spawn_request> from_json(const json& value) {
  return read_json_document<spawn_request>(value, "spawn_request");
}

template <>
result<spawn_result> from_json(const json& value) {
  return read_json_document<spawn_result>(value, "spawn_result");
}

template <>
result<global_pid> from_json(const json& value) {
  return read_json_document<global_pid>(value, "global_pid");
}

template <>
result<message> from_json(const json& value) {
  return read_json_document<message>(value, "message");
}

template <>
result<exit_reason> from_json(const json& value) {
  return read_json_document<exit_reason>(value, "exit_reason");
}

template <>
result<usage> from_json(const json& value) {
  return read_json_document<usage>(value, "usage");
}

template <>
result<process_info> from_json(const json& value) {
  return read_json_document<process_info>(value, "process_info");
}

template <>
result<state_change> from_json(const json& value) {
  return read_json_document<state_change>(value, "state_change");
}

template <>
result<dead_letter> from_json(const json& value) {
  return read_json_document<dead_letter>(value, "dead_letter");
}

} // namespace corral
