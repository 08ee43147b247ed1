#include "tests/harness/probe.hpp"

#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "actors/agent_context.hpp"
#include "actors/error.hpp"
#include "backends/native/agent_registry.hpp"
#include "serialization/json_forms.hpp"

namespace corral::testing {

namespace {

std::mutex recorders_mutex;
std::map<std::string, std::shared_ptr<recorder>> recorders;

class probe : public agent {
public:
  void on_start(agent_context& ctx) override {
    log_ = recorder_for(ctx.agent_id());
    observation x;
    x.kind = "start";
    x.pid = ctx.pid();
    log_->add(std::move(x));
  }

  std::optional<std::string> on_message(agent_context& ctx,
                                        const message& msg) override {
    observation seen;
    seen.kind = "message";
    seen.msg = msg;
    seen.pid = ctx.pid();
    log_->add(std::move(seen));
    if (msg.kind != message_kind::request)
      return std::nullopt;
    return run_command(ctx, msg);
  }

  void on_down(agent_context&, const down_notice& notice) override {
    record("down", notice.pid, notice.agent_id, notice.reason);
  }

  void on_exit_signal(agent_context&, const exit_signal& signal) override {
    record("exit_signal", signal.pid, signal.agent_id, signal.reason);
  }

  void on_resource_warning(agent_context&,
                           const resource_warning& warning) override {
    record("warning", warning.pid, warning.agent_id,
           {exit_kind::limit_exceeded, warning.resource});
  }

  bool on_shutdown(agent_context& ctx) override {
    record("shutdown", ctx.pid(), ctx.agent_id(), {exit_kind::shutdown, {}});
    auto stubborn = ctx.env().find("stubborn");
    return stubborn == ctx.env().end() || stubborn->second != "1";
  }

private:
  void record(const char* kind, pid_type pid, const std::string& agent_id,
              exit_reason reason) {
    observation x;
    x.kind = kind;
    x.pid = pid;
    x.msg.topic = agent_id;
    x.reason = std::move(reason);
    log_->add(std::move(x));
  }

  static std::string field(const nlohmann::json& args, const char* name) {
    auto i = args.find(name);
    return i != args.end() && i->is_string() ? i->get<std::string>() : "";
  }

  static std::string reply_of(const caf::error& error) {
    return error ? describe(error) : std::string{"ok"};
  }

  std::optional<std::string> run_command(agent_context& ctx,
                                         const message& msg) {
    const auto& topic = msg.topic;
    if (topic == "subscribe") {
      ctx.subscribe(msg.payload);
      return "ok";
    }
    if (topic == "trap_exits") {
      ctx.trap_exits(msg.payload == "true");
      return "ok";
    }
    if (topic == "crash")
      throw std::runtime_error("probe crash: " + msg.payload);
    if (topic == "exit") {
      exit_kind kind = exit_kind::normal;
      from_string(msg.payload, kind);
      ctx.exit({kind, kind == exit_kind::normal ? "" : "requested"});
      return "exiting";
    }
    if (topic == "sleep") {
      std::this_thread::sleep_for(
        std::chrono::milliseconds{std::stoll(msg.payload)});
      return "slept";
    }
    if (topic == "crash_after") {
      std::this_thread::sleep_for(
        std::chrono::milliseconds{std::stoll(msg.payload)});
      throw std::runtime_error("probe crash after " + msg.payload + " ms");
    }
    if (topic == "hang") {
      pending_.push_back(ctx.defer_reply());
      return std::nullopt;
    }
    if (topic == "monitor" || topic == "link")
      return run_observe(ctx, topic, msg.payload);
    if (topic == "unlink") {
      ctx.unlink(msg.payload);
      return "ok";
    }
    if (topic == "demonitor") {
      ctx.demonitor(msg.payload);
      return "ok";
    }
    if (topic == "spawn")
      return run_spawn(ctx, msg.payload);
    auto args = nlohmann::json::parse(msg.payload, nullptr, false);
    if (topic == "send")
      return reply_of(ctx.send(field(args, "to"), field(args, "topic"),
                               field(args, "payload")));
    if (topic == "publish")
      return reply_of(
        ctx.publish(field(args, "topic"), field(args, "payload")));
    if (topic == "broadcast")
      return reply_of(
        ctx.broadcast(field(args, "topic"), field(args, "payload")));
    if (topic == "request")
      return run_request(ctx, args);
    return "ack";
  }

  std::optional<std::string> run_observe(agent_context& ctx,
                                         const std::string& topic,
                                         const std::string& target) {
    auto reply = std::make_shared<deferred_reply>(ctx.defer_reply());
    auto on_error = [reply](const caf::error& error) {
      reply->deliver(describe(error));
    };
    if (topic == "monitor")
      ctx.monitor(target, on_error);
    else
      ctx.link(target, on_error);
    // The kernel handles requests in order, so a later command observes
    // the registration; the reply does not wait for it.
    reply->deliver("ok");
    return std::nullopt;
  }

  std::optional<std::string> run_spawn(agent_context& ctx,
                                       const std::string& payload) {
    auto json = parse_json_text(payload);
    if (!json)
      return to_string(json.error());
    auto request = from_json<spawn_request>(*json);
    if (!request)
      return to_string(request.error());
    auto reply = std::make_shared<deferred_reply>(ctx.defer_reply());
    ctx.spawn(*request, [reply](caf::expected<spawn_result> result) {
      reply->deliver(result ? std::to_string(result->pid)
                            : describe(result.error()));
    });
    return std::nullopt;
  }

  std::optional<std::string> run_request(agent_context& ctx,
                                         const nlohmann::json& args) {
    auto reply = std::make_shared<deferred_reply>(ctx.defer_reply());
    auto timeout = std::chrono::milliseconds{1000};
    if (args.is_object() && args.contains("timeout_ms")
        && args["timeout_ms"].is_number_unsigned())
      timeout = std::chrono::milliseconds{args["timeout_ms"].get<long>()};
    ctx.request(
      field(args, "to"), field(args, "topic"), field(args, "payload"), timeout,
      [reply](message& answer) { reply->deliver(answer.payload); },
      [reply](const caf::error& error) { reply->deliver(describe(error)); });
    return std::nullopt;
  }

  std::shared_ptr<recorder> log_;
  std::vector<deferred_reply> pending_;
};

} // namespace

void register_probe() {
  register_agent_type<probe>(probe_type);
}

std::shared_ptr<recorder> recorder_for(const std::string& agent_id) {
  std::lock_guard guard{recorders_mutex};
  auto& slot = recorders[agent_id];
  if (!slot)
    slot = std::make_shared<recorder>();
  return slot;
}

void forget_recorders() {
  std::lock_guard guard{recorders_mutex};
  recorders.clear();
}

} // namespace corral::testing
