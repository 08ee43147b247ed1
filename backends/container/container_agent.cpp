#include "backends/container/container_agent.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/router.hpp"
#include "serialization/utf8.hpp"

namespace corral::container {

namespace {

// Invalid lines logged one by one; after that only the stop is logged.
constexpr std::size_t logged_invalid_lines = 10;
// Bytes of an invalid line quoted in the log.
constexpr std::size_t quoted_bytes = 200;

} // namespace

container_agent::container_agent(caf::actor_config& cfg,
                                 std::shared_ptr<container_session> session,
                                 std::shared_ptr<agent_cell> cell,
                                 std::shared_ptr<node_services> services,
                                 std::map<std::string, std::string> env,
                                 agent_options options)
  : hosting_actor(cfg, *services),
    session_(std::move(session)),
    ctx_(this, std::move(cell), std::move(services), std::move(env)),
    options_(std::move(options)) {
}

caf::behavior container_agent::make_behavior() {
  ctx_.ignore_stray_errors();
  session_->attach(caf::actor{this},
                   {ctx_.services().node_id(), ctx_.pid(), ctx_.agent_id()});
  if (options_.ready) {
    started_ = true;
    set_default_handler(caf::drop);
    return running();
  }
  delayed_send(this, options_.ready_timeout, ready_timeout_atom::value);
  // Messages that arrive before the ready line wait in the mailbox.
  set_default_handler(caf::skip);
  return starting();
}

void container_agent::on_exit() {
  session_->detach();
  session_->kill();
  fail_pending("it was killed");
  ctx_.release_cell();
}

caf::behavior container_agent::starting() {
  return {
    [this](line_atom, const std::string& text) { on_line(text); },
    [this](long_atom, std::uint64_t bytes) { on_long_line(bytes); },
    [this](ended_atom, const container_end& end) { on_ended(end); },
    [this](ready_timeout_atom) {
      if (started_)
        return;
      fail_start("did not print its ready line within "
                 + std::to_string(options_.ready_timeout.count())
                 + " ms; a container agent prints {\"type\":\"ready\"} on "
                   "stdout when it can take messages");
    },
    [this](shutdown_atom) {
      stopping_ = true;
      session_->kill();
      end_agent({exit_kind::shutdown, {}});
    },
  };
}

caf::behavior container_agent::running() {
  return {
    [this](message& msg) { return accept(msg); },
    [this](line_atom, const std::string& text) { on_line(text); },
    [this](long_atom, std::uint64_t bytes) { on_long_line(bytes); },
    [this](ended_atom, const container_end& end) { on_ended(end); },
    [this](suspend_atom) { suspended_ = true; },
    [this](resume_atom) {
      suspended_ = false;
      while (!held_.empty() && !suspended_) {
        auto entry = std::move(held_.front());
        held_.pop_front();
        forward(entry.first, std::move(entry.second));
      }
    },
    [this](shutdown_atom) { on_shutdown(); },
    [this](escalate_atom) {
      if (!ended_)
        session_->stop(options_.stop_grace);
    },
    [this](deadline_atom) { ctx_.expire_requests(); },
    [this](const down_notice& notice) {
      auto msg = ctx_.down_message(notice);
      forward(msg, {});
    },
    [this](const exit_signal& signal) {
      ctx_.log_linked_exit(signal);
      session_->kill();
      end_agent(signal.reason);
    },
    [](const resource_warning&) {
      // Containers have their limits enforced by the kernel's cgroups.
    },
  };
}

void container_agent::on_ready() {
  if (started_)
    return;
  started_ = true;
  ctx_.log(spdlog::level::debug,
           "container " + session_->name() + " of image " + options_.image
             + " is ready");
  send(ctx_.services().kernel, started_atom::value, ctx_.pid());
  set_default_handler(caf::drop);
  become(running());
}

// Both line handlers confirm the line to the session first, which lets it
// read on while the line is handled.
void container_agent::on_line(const std::string& text) {
  session_->line_handled();
  std::string error;
  auto line = parse_agent_line(text, error);
  if (!line) {
    on_invalid(error + ": " + printable(text.substr(0, quoted_bytes)));
    return;
  }
  handle(*line);
}

void container_agent::on_long_line(std::uint64_t bytes) {
  session_->line_handled();
  on_invalid("a line of " + std::to_string(bytes)
             + " bytes or more, longer than the limit of "
             + std::to_string(options_.max_line_bytes) + " bytes");
}

void container_agent::on_invalid(const std::string& what) {
  ++invalid_lines_;
  if (invalid_lines_ <= logged_invalid_lines)
    ctx_.log(spdlog::level::warn,
             "invalid protocol line " + std::to_string(invalid_lines_)
               + " from container " + session_->name() + ": " + what);
  if (invalid_lines_ <= options_.max_invalid_lines)
    return;
  auto detail = "protocol: more than "
                + std::to_string(options_.max_invalid_lines)
                + " invalid lines on stdout";
  ctx_.log(spdlog::level::warn, "stopping container " + session_->name()
                                  + ": " + detail);
  if (!started_) {
    fail_start("printed more than "
               + std::to_string(options_.max_invalid_lines)
               + " invalid lines before its ready line");
    return;
  }
  session_->kill();
  end_agent({exit_kind::crashed, detail});
}

void container_agent::handle(agent_line& line) {
  if (std::holds_alternative<ready_line>(line)) {
    on_ready();
    return;
  }
  if (auto* entry = std::get_if<log_line>(&line)) {
    ctx_.log(entry->level, printable(entry->text));
    return;
  }
  if (!started_) {
    on_invalid("a message line before the ready line");
    return;
  }
  if (auto* reply = std::get_if<reply_line>(&line)) {
    handle_reply(*reply);
  } else if (auto* failed = std::get_if<error_line>(&line)) {
    handle_error(*failed);
  } else if (auto* sent = std::get_if<send_line>(&line)) {
    if (auto error = ctx_.send(sent->to, std::move(sent->topic),
                               std::move(sent->payload)))
      ctx_.log(spdlog::level::warn, "send to " + sent->to
                                      + " failed: " + describe(error));
  } else if (auto* request = std::get_if<request_line>(&line)) {
    handle_request(*request);
  } else if (auto* published = std::get_if<publish_line>(&line)) {
    if (auto error = ctx_.publish(published->topic,
                                  std::move(published->payload)))
      ctx_.log(spdlog::level::warn, "publish to " + published->topic
                                      + " failed: " + describe(error));
  }
}

// A line that names no open request counts as invalid.
std::optional<container_agent::pending_request>
container_agent::take_pending(std::uint64_t id, const std::string& line_kind) {
  auto i = pending_.find(id);
  if (i == pending_.end()) {
    on_invalid(line_kind + " for id " + std::to_string(id)
               + ", which is no open request");
    return std::nullopt;
  }
  auto entry = std::move(i->second);
  pending_.erase(i);
  return entry;
}

void container_agent::handle_reply(reply_line& line) {
  auto entry = take_pending(line.id, "a reply");
  if (!entry)
    return;
  ctx_.cell().messages_out.fetch_add(1, std::memory_order_relaxed);
  entry->promise.deliver(
    make_reply(entry->request, ctx_.global(), std::move(line.payload)));
}

void container_agent::handle_error(error_line& line) {
  auto entry = take_pending(line.id, "an error");
  if (!entry)
    return;
  entry->promise.deliver(make_error(
    errc::invalid_request, "agent " + ctx_.agent_id() + " (pid "
                             + std::to_string(ctx_.pid())
                             + ") failed the request with topic "
                             + entry->request.topic + ": " + line.message));
}

void container_agent::handle_request(request_line& line) {
  auto ref = line.ref;
  ctx_.request(
    line.to, std::move(line.topic), std::move(line.payload),
    std::chrono::milliseconds{line.timeout_ms},
    [this, ref](message& reply) {
      write_response(ref, encode_response(ref, reply.payload));
    },
    [this, ref](const caf::error& error) {
      write_response(ref, encode_response_error(ref, describe(error)));
    });
}

void container_agent::write_response(std::uint64_t ref, std::string line) {
  if (!session_->try_write(std::move(line)))
    ctx_.log(spdlog::level::warn,
             "dropped the response to request " + std::to_string(ref)
               + " of container " + session_->name()
               + ": the agent does not read its stdin");
}

caf::result<message> container_agent::accept(message& msg) {
  ctx_.cell().messages_in.fetch_add(1, std::memory_order_relaxed);
  caf::response_promise promise;
  if (msg.kind == message_kind::request)
    promise = make_response_promise<message>();
  auto unanswered = pending_.size() + held_.size();
  if (unanswered >= options_.max_pending) {
    reject(msg, promise,
           "has " + std::to_string(unanswered)
             + " messages unanswered, its mailbox limit; retry later or "
               "raise limits.mailbox_size");
  } else if (suspended_ && msg.topic != "resume") {
    held_.emplace_back(std::move(msg), std::move(promise));
  } else {
    forward(msg, std::move(promise));
  }
  return caf::delegated<message>{};
}

void container_agent::forward(message& msg, caf::response_promise promise) {
  std::uint64_t id = promise.pending() ? next_id_ : 0;
  if (!session_->try_write(
        encode_message(id, to_string(msg.from), msg.topic, msg.payload))) {
    reject(msg, promise,
           "has not read the " + std::to_string(options_.max_stdin_bytes)
             + " bytes of messages queued on its stdin, or closed it; "
               "retry later");
    return;
  }
  if (id != 0) {
    ++next_id_;
    pending_.emplace(id, pending_request{msg, std::move(promise)});
  }
}

// Records `msg` as a dead letter and fails it with mailbox_full, with `why`
// (the reason the agent cannot take it now) in the error.
void container_agent::reject(const message& msg,
                             caf::response_promise& promise,
                             const std::string& why) {
  post_dead_letter(ctx_.services(), msg, std::to_string(ctx_.pid()),
                   dead_letter_reason::mailbox_full);
  if (promise.pending())
    promise.deliver(make_error(errc::mailbox_full,
                               "container agent " + ctx_.agent_id() + " (pid "
                                 + std::to_string(ctx_.pid()) + ") " + why));
}

// The agent gets the shutdown line and stdin closes; an agent still
// running after `shutdown_wait` gets the engine's stop (SIGTERM, then
// SIGKILL). The kernel kills this actor when the grace period ends, which
// kills the container too.
void container_agent::on_shutdown() {
  if (stopping_)
    return;
  stopping_ = true;
  session_->write(encode_shutdown());
  session_->close_input();
  delayed_send(this, options_.shutdown_wait, escalate_atom::value);
}

void container_agent::on_ended(const container_end& end) {
  if (!started_) {
    if (stopping_) {
      end_agent({exit_kind::shutdown, {}});
      return;
    }
    auto detail = end.exit_code == -1
                    ? end.stderr_tail
                    : "exited with code " + std::to_string(end.exit_code)
                        + " before its ready line";
    if (end.exit_code != -1 && !end.stderr_tail.empty())
      detail += "; stderr: " + end.stderr_tail;
    fail_start(detail);
    return;
  }
  if (!end.stderr_tail.empty() && end.exit_code != 0)
    ctx_.log(spdlog::level::info, "container " + session_->name()
                                    + " exited with code "
                                    + std::to_string(end.exit_code)
                                    + "; last stderr: " + end.stderr_tail);
  if (end.oom_killed || killed_at_memory_limit(end))
    end_agent({exit_kind::limit_exceeded, "memory"});
  else if (stopping_)
    end_agent({exit_kind::shutdown, {}});
  else if (end.exit_code == 0)
    end_agent({exit_kind::normal, {}});
  else
    end_agent({exit_kind::crashed,
               "exit code " + std::to_string(end.exit_code)});
}

// Podman 4.3.1 with runc 1.1.5 on cgroups v1 (cgroupfs manager) reports
// OOMKilled as false even for an OOM kill of a container run with
// --memory 32m, so a SIGKILL (exit code 137) that corral did not send to a
// container with a memory limit counts as one.
// NOTE: a SIGKILL from outside corral (e.g. `podman kill`) then also reads
// as limit_exceeded{memory}.
bool container_agent::killed_at_memory_limit(const container_end& end) const {
  const auto& memory = ctx_.cell().limits.memory_bytes;
  return end.exit_code == 128 + 9 && !stopping_ && memory && *memory > 0;
}

void container_agent::fail_start(const std::string& detail) {
  if (ended_)
    return;
  ended_ = true;
  session_->kill();
  quit(make_error(errc::spawn_failed,
                  "container agent " + ctx_.agent_id() + " of image "
                    + options_.image + " (container " + session_->name()
                    + ") " + detail));
}

void container_agent::end_agent(exit_reason reason) {
  if (ended_)
    return;
  ended_ = true;
  fail_pending("it exited: " + to_string(reason));
  quit(to_exit_error(reason));
}

void container_agent::fail_pending(const std::string& reason) {
  auto fail = [&](const message& request, caf::response_promise& promise) {
    if (promise.pending())
      promise.deliver(make_error(
        errc::agent_exited,
        "agent " + ctx_.agent_id() + " (pid " + std::to_string(ctx_.pid())
          + ") did not answer the request with topic " + request.topic
          + " because " + reason));
  };
  for (auto& [id, entry] : pending_)
    fail(entry.request, entry.promise);
  // Casts held while the agent was suspended never reached it.
  for (auto& [msg, promise] : held_) {
    if (msg.kind == message_kind::cast)
      post_unhandled_cast(ctx_.services(), std::move(msg));
    else
      fail(msg, promise);
  }
  pending_.clear();
  held_.clear();
}

} // namespace corral::container
