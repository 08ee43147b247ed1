// JSON readers for what the runtime reports back: global pids, spawn
// results, messages, exit reasons and the process-table views (usage,
// process_info, state_change, dead_letter).

#include <utility>

#include "serialization/base64.hpp"
#include "serialization/json_forms.hpp"

namespace corral {

void read_json(const json_at& at, global_pid& x) {
  if (!at.value().is_string())
    at.fail("expected a global pid \"node:pid\"");
  auto text = at.as_string();
  auto parsed = parse_global_pid(text);
  if (!parsed)
    at.fail("expected a global pid \"node:pid\", got " + quote_for_error(text));
  x = std::move(*parsed);
}

void read_json(const json_at& at, spawn_result& x) {
  json_object_reader object(at);
  x = spawn_result();
  if (auto field = object.field("pid"))
    x.pid = field->as_unsigned();
  if (auto field = object.field("agent_id"))
    x.agent_id = field->as_string();
  if (auto field = object.field("global"))
    read_json(*field, x.global);
  object.finish();
}

void read_json(const json_at& at, message& x) {
  json_object_reader object(at);
  x = message();
  if (auto field = object.field("from"))
    read_json(*field, x.from);
  read_json(object.required_field("to"), x.to);
  if (auto field = object.field("topic"))
    x.topic = field->as_string();

  auto payload = object.field("payload");
  auto payload_base64 = object.field("payload_base64");
  if (payload && payload_base64)
    payload_base64->fail("cannot be given together with payload");
  if (payload)
    x.payload = payload->as_string();
  if (payload_base64) {
    auto bytes = base64_decode(payload_base64->as_string());
    if (!bytes)
      payload_base64->fail(bytes.error().detail);
    x.payload = std::move(*bytes);
  }

  if (auto field = object.field("correlation_id"))
    x.correlation_id = field->as_unsigned();
  if (auto field = object.field("trace_id"))
    x.trace_id = field->as_unsigned();
  if (auto field = object.field("kind"))
    x.kind = field->as_enum<message_kind>();
  object.finish();
}

void read_json(const json_at& at, exit_reason& x) {
  x = exit_reason();
  if (at.value().is_string()) {
    x.kind = at.as_enum<exit_kind>();
    return;
  }
  if (!at.value().is_object())
    at.fail("expected an exit kind or an object with kind and detail");

  json_object_reader object(at);
  x.kind = object.required_field("kind").as_enum<exit_kind>();
  if (auto field = object.field("detail"))
    x.detail = field->as_string();
  object.finish();
}

void read_json(const json_at& at, usage& x) {
  json_object_reader object(at);
  x = usage();
  auto read_counter = [&](const char* name, std::uint64_t& out) {
    if (auto field = object.field(name))
      out = field->as_unsigned();
  };
  read_counter("messages_in", x.messages_in);
  read_counter("messages_out", x.messages_out);
  read_counter("cpu_ns", x.cpu_ns);
  read_counter("memory_bytes", x.memory_bytes);
  read_counter("fuel", x.fuel);
  object.finish();
}

void read_json(const json_at& at, process_info& x) {
  json_object_reader object(at);
  x = process_info();
  if (auto field = object.field("pid"))
    x.pid = field->as_unsigned();
  if (auto field = object.field("global"))
    read_json(*field, x.global);
  if (auto field = object.field("agent_id"))
    x.agent_id = field->as_string();
  if (auto field = object.field("agent_type"))
    x.agent_type = field->as_string();
  if (auto field = object.field("backend"))
    x.backend = field->as_string();
  if (auto field = object.field("node"))
    x.node = field->as_string();

  if (auto field = object.field("state"))
    x.state = field->as_enum<process_state>();
  if (auto field = object.field("parent"))
    x.parent = field->as_unsigned();
  if (auto field = object.field("children"))
    x.children = field->as_unsigned_array();

  if (auto field = object.field("capabilities"))
    read_json(*field, x.caps);
  if (auto field = object.field("limits"))
    read_json(*field, x.limits);
  if (auto field = object.field("usage"))
    read_json(*field, x.usage);

  if (auto field = object.field("restart"))
    x.restart = field->as_enum<restart_type>();
  if (auto field = object.field("restart_count"))
    x.restart_count = field->as_uint32();
  if (auto field = object.field("start_time_ms"))
    x.start_time_ms = field->as_integer();
  if (auto field = object.nullable_field("exit")) {
    exit_reason reason;
    read_json(*field, reason);
    x.exit = std::move(reason);
  }
  if (auto field = object.field("backend_details")) {
    if (!field->value().is_object())
      field->fail("expected an object of strings");
    for (const auto& item : field->value().items())
      x.backend_details[item.key()]
        = json_at(item.value(), join_path(field->path(), item.key()))
            .as_string();
  }
  object.finish();
}

void read_json(const json_at& at, state_change& x) {
  json_object_reader object(at);
  x = state_change();
  if (auto field = object.field("pid"))
    x.pid = field->as_unsigned();
  if (auto field = object.field("agent_id"))
    x.agent_id = field->as_string();
  if (auto field = object.field("from"))
    x.from = field->as_enum<process_state>();
  if (auto field = object.field("to"))
    x.to = field->as_enum<process_state>();
  if (auto field = object.nullable_field("exit")) {
    exit_reason reason;
    read_json(*field, reason);
    x.exit = std::move(reason);
  }
  if (auto field = object.field("time_ms"))
    x.time_ms = field->as_integer();
  object.finish();
}

void read_json(const json_at& at, dead_letter& x) {
  json_object_reader object(at);
  x = dead_letter();
  if (auto field = object.field("message"))
    read_json(*field, x.message);
  if (auto field = object.field("target"))
    x.target = field->as_string();
  if (auto field = object.field("reason"))
    x.reason = field->as_enum<dead_letter_reason>();
  if (auto field = object.field("time_ms"))
    x.time_ms = field->as_integer();
  object.finish();
}

} // namespace corral
