// JSON readers for a spawn request and its parts: backend, enclave,
// capabilities, limits and supervision.

#include <optional>
#include <utility>
#include <variant>

#include "serialization/json_forms.hpp"

namespace corral {

using nlohmann::json;

namespace {

constexpr const char* all_backend_names = "Native, Wasm, Container, Tee or Remote";
constexpr const char* local_backend_names = "Native, Wasm, Container or Tee";

/// Hex digits in a SHA-256 digest.

/// The name of an externally tagged variant and the value under it.
struct variant_tag {
  std::string name;
  json_at fields;
};

/// Reads {"Name": fields} or the bare string "Name". A bare name and
/// {"Name": null} read like {"Name": {}}, as serde reads unit variants.
variant_tag read_variant_tag(const json_at& at, const char* names) {
  static const json no_fields = json::object();

  if (at.value().is_string()) {
    auto name = at.as_string();
    return {name, json_at(no_fields, join_path(at.path(), name))};
  }
  if (!at.value().is_object())
    at.fail(std::string("expected a variant name or an object with one key (")
            + names + ")");
  if (at.value().size() != 1)
    at.fail(std::string("expected the variant name (") + names
            + ") as the only key, found " + std::to_string(at.value().size())
            + " keys");

  auto item = at.value().begin();
  const json& fields = item.value().is_null() ? no_fields : item.value();
  return {item.key(), json_at(fields, join_path(at.path(), item.key()))};
}

std::string unknown_variant(const std::string& name, const char* names) {
  return "unknown variant " + quote_for_error(name) + " (expected " + names
         + ")";
}

native_backend read_native(const json_at& fields) {
  json_object_reader object(fields);
  object.finish();
  return {};
}

std::string read_measurement(const json_at& at) {
  auto text = at.as_string();
  for (char& c : text)
    if (c >= 'A' && c <= 'F')
      c = static_cast<char>(c - 'A' + 'a');
  if (!is_measurement(text))
    at.fail("expected 64 hex digits (a SHA-256 digest), got "
            + quote_for_error(text));
  return text;
}

wasm_backend read_wasm(const json_at& fields) {
  json_object_reader object(fields);
  wasm_backend x;
  x.module = object.required_field("module").as_file_name();
  if (auto field = object.nullable_field("sha256"))
    x.sha256 = read_measurement(*field);
  object.finish();
  return x;
}

container_backend read_container(const json_at& fields) {
  json_object_reader object(fields);
  container_backend x;
  x.image = object.required_field("image").as_file_name();
  object.finish();
  return x;
}

tee_backend read_tee(const json_at& fields) {
  json_object_reader object(fields);
  tee_backend x;
  read_json(object.required_field("enclave"), x.enclave);
  object.finish();
  return x;
}

// Accepts "none", "any", or {"mode": ..., "preferred": [node ids]}.
failover_policy read_failover(const json_at& at) {
  failover_policy x;
  if (at.value().is_string()) {
    x.mode = at.as_enum<failover_mode>();
    return x;
  }
  json_object_reader object(at);
  x.mode = object.required_field("mode").as_enum<failover_mode>();
  if (auto preferred = object.field("preferred")) {
    x.preferred = preferred->as_string_array();
    for (const auto& node : x.preferred)
      if (node.empty())
        preferred->fail("expected an array of non-empty node ids");
  }
  object.finish();
  return x;
}

remote_backend read_remote(const json_at& fields) {
  json_object_reader object(fields);
  remote_backend x;
  x.node_id = object.required_field("node_id").as_non_empty_string();
  if (auto inner = object.field("backend"))
    read_json(*inner, x.inner);
  if (auto failover = object.field("failover"))
    x.failover = read_failover(*failover);
  object.finish();
  return x;
}

/// Reads the variants a node runs itself; nothing for any other name.
std::optional<local_backend> read_local_variant(const variant_tag& tag) {
  if (tag.name == "Native")
    return read_native(tag.fields);
  if (tag.name == "Wasm")
    return read_wasm(tag.fields);
  if (tag.name == "Container")
    return read_container(tag.fields);
  if (tag.name == "Tee")
    return read_tee(tag.fields);
  return std::nullopt;
}

/// Reads an entry of `can_send.agents`: a decimal pid or a valid agent_id.
std::string read_send_target(const json_at& at) {
  auto target = at.as_string();
  if (parse_pid(target))
    return target;
  if (auto problem = agent_id_error(target))
    at.fail("expected a pid or an agent_id, but as an agent_id it "
            + *problem);
  return target;
}

/// Environment variables for every backend. Names become C strings and
/// "NAME=value" entries (WASI environ, `podman run -e`), so they must be
/// non-empty and contain neither '=' nor NUL; values must not contain NUL.
std::map<std::string, std::string> read_env(const json_at& at) {
  if (!at.value().is_object())
    at.fail("expected an object of strings");

  std::map<std::string, std::string> env;
  for (const auto& item : at.value().items()) {
    json_at variable(item.value(), join_path(at.path(), item.key()));
    const auto& name = item.key();
    if (name.empty())
      variable.fail("variable name must not be empty");
    if (name.find('=') != std::string::npos)
      variable.fail("variable name must not contain '='");
    if (name.find('\0') != std::string::npos)
      variable.fail("variable name must not contain a NUL byte");

    auto value = variable.as_string();
    if (value.find('\0') != std::string::npos)
      variable.fail("must not contain a NUL byte");
    env.emplace(name, std::move(value));
  }
  return env;
}

} // namespace

void read_json(const json_at& at, spawn_backend& x) {
  auto tag = read_variant_tag(at, all_backend_names);
  if (tag.name == "Remote") {
    x = read_remote(tag.fields);
    return;
  }
  auto local = read_local_variant(tag);
  if (!local)
    at.fail(unknown_variant(tag.name, all_backend_names));
  x = std::visit([](auto& backend) -> spawn_backend { return backend; },
                 *local);
}

void read_json(const json_at& at, local_backend& x) {
  auto tag = read_variant_tag(at, local_backend_names);
  if (tag.name == "Remote")
    at.fail(std::string("Remote is not allowed here, because this backend ")
            + "runs on the node that receives the spawn (expected "
            + local_backend_names + ")");
  auto local = read_local_variant(tag);
  if (!local)
    at.fail(unknown_variant(tag.name, local_backend_names));
  x = std::move(*local);
}

void read_json(const json_at& at, enclave_config& x) {
  json_object_reader object(at);
  x = enclave_config();
  x.type = object.required_field("enclave_type").as_enum<enclave_type>();
  x.workload = object.required_field("workload").as_file_name();
  if (auto field = object.nullable_field("expected_measurement"))
    x.expected_measurement = read_measurement(*field);
  if (auto field = object.field("memory_bytes")) {
    x.memory_bytes = field->as_unsigned();
    if (x.memory_bytes == 0)
      field->fail("expected at least 1 byte");
    if (x.memory_bytes > max_enclave_memory_bytes)
      field->fail("expected at most " + std::to_string(max_enclave_memory_bytes)
                  + " (4 GiB, the most a 32-bit WASM memory can use)");
  }
  if (auto field = object.field("debug"))
    x.debug = field->as_bool();
  object.finish();
}

void read_json(const json_at& at, send_scope& x) {
  x = send_scope();
  if (at.value().is_string()) {
    auto name = at.as_string();
    if (!from_string(name, x.kind) || x.kind == send_scope_kind::listed)
      at.fail("unknown scope " + quote_for_error(name)
              + " (expected all, parent_only, children, none, or an object "
                "with agents and/or topics)");
    return;
  }
  if (!at.value().is_object())
    at.fail("expected a scope name or an object with agents and/or topics");

  json_object_reader object(at);
  auto scope = object.field("scope");
  if (scope)
    x.kind = scope->as_enum<send_scope_kind>();

  // A list of agents means scope "listed"; "listed" without agents lacks
  // its receivers.
  if (auto agents = object.field("agents")) {
    if (scope && x.kind != send_scope_kind::listed)
      scope->fail("must be \"listed\" or left out when agents are given");
    x.kind = send_scope_kind::listed;
    for (std::size_t i = 0; i < agents->array_size(); ++i)
      x.agents.push_back(read_send_target(agents->element(i)));
  } else if (x.kind == send_scope_kind::listed) {
    object.required_field("agents");
  }

  if (auto topics = object.field("topics"))
    x.topics = topics->as_string_array();
  object.finish();
}

void read_json(const json_at& at, capabilities& x) {
  json_object_reader object(at);
  x = capabilities();
  if (auto field = object.field("can_spawn"))
    x.can_spawn = field->as_bool();
  if (auto field = object.field("can_send"))
    read_json(*field, x.can_send);
  if (auto field = object.field("can_publish"))
    x.can_publish = field->as_string_array();
  if (auto field = object.field("can_network"))
    x.can_network = field->as_bool();
  if (auto field = object.field("host_functions"))
    x.host_functions = field->as_string_array();
  object.finish();
}

void read_json(const json_at& at, limits& x) {
  json_object_reader object(at);
  x = limits();
  auto read_limit = [&](const char* name, std::optional<std::uint64_t>& out) {
    if (auto field = object.nullable_field(name))
      out = field->as_unsigned();
  };
  read_limit("memory_bytes", x.memory_bytes);
  read_limit("cpu_ms", x.cpu_ms);
  read_limit("fuel", x.fuel);
  read_limit("max_messages", x.max_messages);
  read_limit("message_timeout_ms", x.message_timeout_ms);
  read_limit("mailbox_size", x.mailbox_size);
  read_limit("fuel_per_message", x.fuel_per_message);
  read_limit("call_depth", x.call_depth);
  read_limit("value_stack", x.value_stack);
  object.finish();
}

void read_json(const json_at& at, supervisor_spec& x) {
  json_object_reader object(at);
  x = supervisor_spec();
  if (auto field = object.field("strategy"))
    x.strategy = field->as_enum<restart_strategy>();
  if (auto field = object.field("max_restarts"))
    x.max_restarts = field->as_uint32();
  if (auto field = object.field("period_ms")) {
    x.period_ms = field->as_unsigned();
    if (x.period_ms == 0)
      field->fail("expected at least 1 millisecond");
  }
  if (auto field = object.field("backoff_initial_ms"))
    x.backoff_initial_ms = field->as_unsigned();
  if (auto field = object.field("backoff_max_ms"))
    x.backoff_max_ms = field->as_unsigned();
  object.finish();

  if (x.backoff_initial_ms > x.backoff_max_ms)
    throw json_read_error(join_path(at.path(), "backoff_initial_ms")
                          + ": must not exceed backoff_max_ms ("
                          + std::to_string(x.backoff_max_ms) + ")");
}

void read_json(const json_at& at, spawn_request& x) {
  json_object_reader object(at);
  x = spawn_request();

  auto agent_id = object.required_field("agent_id");
  x.agent_id = agent_id.as_string();
  if (auto problem = agent_id_error(x.agent_id))
    agent_id.fail(*problem);

  if (auto field = object.field("agent_type"))
    x.agent_type = field->as_non_empty_string();
  if (auto field = object.nullable_field("capabilities")) {
    capabilities caps;
    read_json(*field, caps);
    x.caps = std::move(caps);
  }
  if (auto field = object.nullable_field("parent_pid"))
    x.parent_pid = field->as_unsigned();
  if (auto field = object.field("env"))
    x.env = read_env(*field);
  if (auto field = object.field("backend"))
    read_json(*field, x.backend);
  if (auto field = object.field("restart"))
    x.restart = field->as_enum<restart_type>();
  if (auto field = object.field("supervision"))
    read_json(*field, x.supervision);
  if (auto field = object.field("limits"))
    read_json(*field, x.limits);
  object.finish();
}

} // namespace corral
