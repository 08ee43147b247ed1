#include "backends/container/protocol.hpp"

#include <nlohmann/json.hpp>

#include "serialization/base64.hpp"
#include "serialization/utf8.hpp"

namespace corral::container {

namespace {

using json = nlohmann::ordered_json;

bool read_string(const json& object, const char* key, std::string& out,
                 std::string& error) {
  auto i = object.find(key);
  if (i == object.end() || !i->is_string()) {
    error = std::string{"field \""} + key + "\" is missing or not a string";
    return false;
  }
  out = i->get<std::string>();
  return true;
}

bool read_id(const json& object, const char* key, std::uint64_t& out,
             std::string& error) {
  auto i = object.find(key);
  if (i == object.end() || !i->is_number_unsigned()
      || i->get<std::uint64_t>() == 0) {
    error = std::string{"field \""} + key
            + "\" is missing or not a positive integer";
    return false;
  }
  out = i->get<std::uint64_t>();
  return true;
}

// A payload is either "payload" (text) or "payload_b64" (any bytes); none
// means an empty payload.
bool read_payload(const json& object, std::string& out, std::string& error) {
  if (auto i = object.find("payload_b64"); i != object.end()) {
    if (!i->is_string()) {
      error = "field \"payload_b64\" is not a string";
      return false;
    }
    auto bytes = base64_decode(i->get<std::string>());
    if (!bytes) {
      error = "field \"payload_b64\" is not valid base64";
      return false;
    }
    out = std::move(*bytes);
    return true;
  }
  if (auto i = object.find("payload"); i != object.end()) {
    if (!i->is_string()) {
      error = "field \"payload\" is not a string";
      return false;
    }
    out = i->get<std::string>();
  }
  return true;
}

// Strings from other agents (topics, error texts) need not be UTF-8;
// invalid bytes become U+FFFD instead of failing the line.
std::string dump_line(const json& object) {
  return object.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
}

void write_payload(json& object, const std::string& payload) {
  if (is_valid_utf8(payload))
    object["payload"] = payload;
  else
    object["payload_b64"] = base64_encode(payload);
}

std::optional<agent_line> parse_reply(const json& object, std::string& error) {
  reply_line line;
  if (!read_id(object, "id", line.id, error)
      || !read_payload(object, line.payload, error))
    return std::nullopt;
  return line;
}

std::optional<agent_line> parse_error(const json& object, std::string& error) {
  error_line line;
  if (!read_id(object, "id", line.id, error)
      || !read_string(object, "message", line.message, error))
    return std::nullopt;
  return line;
}

std::optional<agent_line> parse_send(const json& object, std::string& error) {
  send_line line;
  if (!read_string(object, "to", line.to, error)
      || !read_string(object, "topic", line.topic, error)
      || !read_payload(object, line.payload, error))
    return std::nullopt;
  return line;
}

std::optional<agent_line> parse_request(const json& object,
                                        std::string& error) {
  request_line line;
  if (!read_id(object, "ref", line.ref, error)
      || !read_string(object, "to", line.to, error)
      || !read_string(object, "topic", line.topic, error)
      || !read_payload(object, line.payload, error))
    return std::nullopt;
  if (auto i = object.find("timeout_ms"); i != object.end()) {
    if (!i->is_number_unsigned()) {
      error = "field \"timeout_ms\" is not a non-negative integer";
      return std::nullopt;
    }
    line.timeout_ms = i->get<std::uint64_t>();
  }
  return line;
}

std::optional<agent_line> parse_publish(const json& object,
                                        std::string& error) {
  publish_line line;
  if (!read_string(object, "topic", line.topic, error)
      || !read_payload(object, line.payload, error))
    return std::nullopt;
  return line;
}

std::optional<agent_line> parse_log(const json& object, std::string& error) {
  log_line line;
  if (!read_string(object, "text", line.text, error))
    return std::nullopt;
  std::string level = "info";
  if (object.contains("level")
      && !read_string(object, "level", level, error))
    return std::nullopt;
  if (level == "debug")
    line.level = spdlog::level::debug;
  else if (level == "info")
    line.level = spdlog::level::info;
  else if (level == "warn")
    line.level = spdlog::level::warn;
  else if (level == "error")
    line.level = spdlog::level::err;
  else {
    error = "log level \"" + level
            + "\" is unknown; use debug, info, warn or error";
    return std::nullopt;
  }
  return line;
}

} // namespace

std::optional<agent_line> parse_agent_line(const std::string& line,
                                           std::string& error) {
  // nlohmann's parser takes a NUL byte for the end of its input and would
  // ignore what follows it.
  if (line.find('\0') != std::string::npos) {
    error = "contains a NUL byte";
    return std::nullopt;
  }
  auto object = json::parse(line, nullptr, false);
  if (object.is_discarded() || !object.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  std::string type;
  if (!read_string(object, "type", type, error))
    return std::nullopt;
  if (type == "ready")
    return ready_line{};
  if (type == "reply")
    return parse_reply(object, error);
  if (type == "error")
    return parse_error(object, error);
  if (type == "send")
    return parse_send(object, error);
  if (type == "request")
    return parse_request(object, error);
  if (type == "publish")
    return parse_publish(object, error);
  if (type == "log")
    return parse_log(object, error);
  error = "type \"" + type + "\" is unknown";
  return std::nullopt;
}

std::string encode_message(std::uint64_t id, const std::string& from,
                           const std::string& topic,
                           const std::string& payload) {
  // The payload comes last, so that a shell agent can cut it off the line
  // with sed.
  json object;
  object["type"] = "message";
  if (id != 0)
    object["id"] = id;
  object["from"] = from;
  object["topic"] = topic;
  write_payload(object, payload);
  return dump_line(object);
}

std::string encode_response(std::uint64_t ref, const std::string& payload) {
  json object;
  object["type"] = "response";
  object["ref"] = ref;
  write_payload(object, payload);
  return dump_line(object);
}

std::string encode_response_error(std::uint64_t ref,
                                  const std::string& message) {
  json object;
  object["type"] = "response";
  object["ref"] = ref;
  object["error"] = message;
  return dump_line(object);
}

std::string encode_shutdown() {
  return "{\"type\":\"shutdown\"}\n";
}

} // namespace corral::container
