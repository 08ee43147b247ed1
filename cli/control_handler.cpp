#include "cli/control_handler.hpp"

#include <algorithm>
#include <memory>

#include "actors/error.hpp"
#include "actors/grace_period.hpp"
#include "cli/watch_subscription.hpp"
#include "net/control_protocol.hpp"
#include "serialization/base64.hpp"
#include "serialization/json_forms.hpp"

namespace corral::cli {

using nlohmann::json;

namespace {

/// Default and maximum reply timeouts of `send`, in milliseconds.
constexpr std::uint64_t default_send_timeout_ms = 5000;
constexpr std::uint64_t max_send_timeout_ms = 600'000;

json error_reply(const caf::error& error) {
  return make_error_reply(to_failure(error));
}

json ok_with(const char* key, json value) {
  auto reply = make_ok_reply();
  reply[key] = std::move(value);
  return reply;
}

std::string read_target(json_object_reader& fields) {
  return fields.required_field("target").as_non_empty_string();
}

/// Reads "payload" (text) or "payload_base64" (bytes); neither means an
/// empty payload.
std::string read_payload(json_object_reader& fields) {
  auto text = fields.field("payload");
  auto encoded = fields.field("payload_base64");
  if (text && encoded)
    encoded->fail("cannot be given together with payload");
  if (text)
    return text->as_string();
  if (!encoded)
    return {};
  auto bytes = base64_decode(encoded->as_string());
  if (!bytes)
    encoded->fail(bytes.error().detail);
  return std::move(*bytes);
}

/// Promises the request's reply and returns the callback that delivers it:
/// `format` turns a success into the reply, and an error becomes an error
/// reply. The handler thread is free while the node works.
template <class T, class Format>
result_callback<T> reply_later(control_request_context& context,
                               Format format) {
  auto promise = context.defer_reply();
  return [promise, format](caf::expected<T> result) {
    promise->deliver(result ? format(*result) : error_reply(result.error()));
  };
}

/// Returns the JSON form of `letter`. A message whose target never
/// resolved to an agent has no receiver address, so its "to" shows the
/// target as given (e.g. "ghost") instead of the empty address ":0".
/// Payload bytes of one dead letter that the listing shows. The queue may
/// keep many messages of up to 16 MiB each, more than one reply can carry.
constexpr std::size_t dead_letter_payload_shown = 4096;

json dead_letter_json(const dead_letter& letter) {
  auto object = to_json(letter);
  if (letter.message.to.node.empty())
    object["message"]["to"] = letter.target;
  const auto& payload = letter.message.payload;
  if (payload.size() > dead_letter_payload_shown) {
    object["message"]["payload"] = payload.substr(0, dead_letter_payload_shown);
    object["message"]["payload_bytes"] = payload.size();
    object["message"]["payload_truncated"] = true;
  }
  return object;
}

} // namespace

control_handler::control_handler(node& target, stats_source control_stats)
  : node_(&target),
    control_stats_(std::move(control_stats)),
    operations_{
      {"cast", &control_handler::cast},
      {"dead_letters", &control_handler::dead_letters},
      {"inspect", &control_handler::inspect},
      {"list", &control_handler::list},
      {"ping", &control_handler::ping},
      {"ps", &control_handler::list},
      {"publish", &control_handler::publish},
      {"restart", &control_handler::restart},
      {"resume", &control_handler::resume},
      {"send", &control_handler::send},
      {"spawn", &control_handler::spawn},
      {"stats", &control_handler::stats},
      {"stop", &control_handler::stop},
      {"suspend", &control_handler::suspend},
      {"watch", &control_handler::watch},
    } {
}

std::vector<std::string> control_handler::operations() const {
  std::vector<std::string> names;
  for (const auto& entry : operations_)
    names.push_back(entry.first);
  return names;
}

json control_handler::operator()(const json& request,
                                 control_request_context& context) const {
  // Reading throws json_read_error at the first invalid field, with its
  // path ("request.target: ..."); it becomes an invalid_request reply.
  try {
    json_object_reader fields{json_at{request, "request"}};
    fields.field("id");
    auto op_field = fields.required_field("op");
    auto op = op_field.as_string();
    auto entry = operations_.find(op);
    if (entry == operations_.end()) {
      // The endpoint serves `cancel` itself, and with_cluster_operations
      // serves `nodes` before this handler receives the request.
      auto names = operations();
      names.insert(names.end(), {"cancel", "nodes"});
      std::sort(names.begin(), names.end());
      std::string known;
      for (const auto& name : names)
        known += (known.empty() ? "" : ", ") + name;
      op_field.fail("unknown operation " + quote_for_error(op) + " (expected "
                    + known + ")");
    }
    return (this->*entry->second)(fields, context);
  } catch (const json_read_error& e) {
    return make_error_reply({errc::invalid_request, e.what()});
  }
}

json control_handler::ping(json_object_reader& fields,
                           control_request_context&) const {
  fields.finish();
  auto reply = make_ok_reply();
  reply["node_id"] = node_->id();
  reply["version"] = CORRAL_VERSION;
  reply["protocol"] = control_protocol_version;
  return reply;
}

json control_handler::spawn(json_object_reader& fields,
                            control_request_context& context) const {
  auto document = fields.required_field("request");
  fields.finish();
  auto request = from_json<spawn_request>(document.value());
  if (!request)
    return make_error_reply(request.error());
  // A backend may start its agent asynchronously, so spawn can take long.
  node_->spawn(*request, reply_later<spawn_result>(context, [](auto& spawned) {
                 return ok_with("result", to_json(spawned));
               }));
  return make_ok_reply();
}

json control_handler::stop(json_object_reader& fields,
                           control_request_context& context) const {
  auto target = read_target(fields);
  auto grace = fields.field("grace_ms");
  auto immediate = fields.field("immediate");
  fields.finish();

  // Without grace_ms the node's default grace period applies.
  stop_options options;
  options.grace_ms = node_->services().config.default_grace_ms;
  if (grace) {
    options.grace_ms = grace->as_unsigned();
    if (options.grace_ms > max_grace_ms)
      grace->fail("must be at most " + std::to_string(max_grace_ms)
                  + " milliseconds (24 hours)");
  }
  options.immediate = immediate && immediate->as_bool();
  // The reply waits for the exit, which can take the whole grace period.
  node_->stop(target, options,
              reply_later<exit_reason>(context, [](auto& reason) {
                return ok_with("exit_reason", to_json(reason));
              }));
  return make_ok_reply();
}

json control_handler::restart(json_object_reader& fields,
                              control_request_context& context) const {
  auto target = read_target(fields);
  fields.finish();
  node_->restart(target,
                 reply_later<spawn_result>(context, [](auto& restarted) {
                   return ok_with("result", to_json(restarted));
                 }));
  return make_ok_reply();
}

json control_handler::suspend(json_object_reader& fields,
                              control_request_context&) const {
  auto target = read_target(fields);
  fields.finish();
  if (auto error = node_->suspend(target))
    return error_reply(error);
  return make_ok_reply();
}

json control_handler::resume(json_object_reader& fields,
                             control_request_context&) const {
  auto target = read_target(fields);
  fields.finish();
  if (auto error = node_->resume(target))
    return error_reply(error);
  return make_ok_reply();
}

json control_handler::inspect(json_object_reader& fields,
                              control_request_context&) const {
  auto target = read_target(fields);
  fields.finish();
  auto info = node_->inspect(target);
  if (!info)
    return error_reply(info.error());
  return ok_with("process", to_json(*info));
}

json control_handler::list(json_object_reader& fields,
                           control_request_context&) const {
  auto all = fields.field("all");
  fields.finish();
  auto entries = node_->list(all && all->as_bool());
  if (!entries)
    return error_reply(entries.error());
  auto processes = json::array();
  for (const auto& info : *entries)
    processes.push_back(to_json(info));
  return ok_with("processes", std::move(processes));
}

json control_handler::send(json_object_reader& fields,
                           control_request_context& context) const {
  auto target = read_target(fields);
  auto topic = fields.required_field("topic").as_non_empty_string();
  auto payload = read_payload(fields);
  auto timeout_ms = default_send_timeout_ms;
  if (auto field = fields.field("timeout_ms")) {
    timeout_ms = field->as_unsigned();
    if (timeout_ms == 0 || timeout_ms > max_send_timeout_ms)
      field->fail("must be between 1 and "
                  + std::to_string(max_send_timeout_ms) + " milliseconds");
  }
  fields.finish();

  // The agent may take up to the whole timeout to reply.
  node_->request(target, std::move(topic), std::move(payload),
                 std::chrono::milliseconds{timeout_ms},
                 reply_later<message>(context, [](auto& reply) {
                   return ok_with("reply", to_json(reply));
                 }));
  return make_ok_reply();
}

json control_handler::cast(json_object_reader& fields,
                           control_request_context&) const {
  auto target = read_target(fields);
  auto topic = fields.required_field("topic").as_non_empty_string();
  auto payload = read_payload(fields);
  fields.finish();
  if (auto error = node_->send(target, std::move(topic), std::move(payload)))
    return error_reply(error);
  return make_ok_reply();
}

json control_handler::publish(json_object_reader& fields,
                              control_request_context&) const {
  auto topic = fields.required_field("topic").as_non_empty_string();
  auto payload = read_payload(fields);
  fields.finish();
  if (auto error = node_->publish(topic, std::move(payload)))
    return error_reply(error);
  return make_ok_reply();
}

json control_handler::watch(json_object_reader& fields,
                            control_request_context& context) const {
  fields.finish();
  auto subscription = std::make_shared<watch_subscription>(*node_);
  auto stream = context.open_stream([subscription] { subscription->stop(); });
  if (!stream)
    return make_error_reply(
      {errc::invalid_request, "this request already opened a stream"});
  subscription->start(std::move(stream));
  return make_ok_reply();
}

json control_handler::dead_letters(json_object_reader& fields,
                                   control_request_context&) const {
  fields.finish();
  auto letters = json::array();
  for (const auto& letter : node_->dead_letters())
    letters.push_back(dead_letter_json(letter));
  auto counters = node_->stats();
  auto reply = ok_with("dead_letters", std::move(letters));
  reply["total"] = counters.dead_letters;
  reply["dropped"] = counters.dead_letters_dropped;
  return reply;
}

json control_handler::stats(json_object_reader& fields,
                            control_request_context&) const {
  fields.finish();
  auto counters = node_->stats();
  json stats = {
    {"node_id", counters.node_id},
    {"live_agents", counters.live_agents},
    {"spawned", counters.spawned},
    {"dead_letters", counters.dead_letters},
    {"dead_letters_dropped", counters.dead_letters_dropped},
    {"uptime_ms", counters.uptime_ms},
  };
  auto modules = node_->services().modules.stats();
  stats["modules"] = {
    {"stored", modules.modules}, {"bytes", modules.bytes},
    {"sent", modules.sent},      {"received", modules.received},
    {"reused", modules.reused},
  };
  if (control_stats_)
    stats["control"] = control_stats_();
  return ok_with("stats", std::move(stats));
}

} // namespace corral::cli
