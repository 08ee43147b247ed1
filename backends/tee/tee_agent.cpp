#include "backends/tee/tee_agent.hpp"

#include <system_error>

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "actors/limit_check.hpp"
#include "actors/router.hpp"
#include "backends/tee/channel_codec.hpp"
#include "backends/tee/frame_io.hpp"
#include "backends/tee/host_log.hpp"

namespace corral::tee {

namespace {

// Frames the actor reads inline in one go before it returns to its
// mailbox, so that a workload sending many frames cannot keep it away from
// the messages waiting there.
constexpr int max_inline_frames = 64;

// Time after an exchange read inline until the reader thread watches the
// channel again. Until then, a frame the host sends unasked (a replayed
// one) waits unread. Waking the thread after every exchange would cost
// two thread wake-ups per message.
constexpr std::chrono::milliseconds idle_check_delay{1};

// Returns what the reader thread calls with each event on the channel.
channel_reader::report_fn report_to(caf::actor proxy,
                                    enclave_process& process) {
  return [proxy, &process](channel_event event, std::string text) {
    switch (event) {
      case channel_event::frame:
        caf::anon_send(proxy, host_frame_atom::value, std::move(text));
        break;
      case channel_event::authentication:
      case channel_event::corrupt:
        caf::anon_send(proxy, channel_error_atom::value, std::move(text));
        break;
      case channel_event::closed:
        caf::anon_send(proxy, host_exit_atom::value, process.describe_exit());
        break;
    }
  };
}

exit_reason reason_of(const done_frame& done) {
  switch (static_cast<done_status>(done.status)) {
    case done_status::returned:
      return {exit_kind::normal, {}};
    case done_status::trapped:
      return {exit_kind::crashed, "trap: " + done.detail};
    case done_status::exited:
      if (done.value == 0)
        return {exit_kind::normal, {}};
      return {exit_kind::crashed, "exit code " + std::to_string(done.value)};
    case done_status::memory_exceeded:
      return {exit_kind::limit_exceeded, "memory"};
    case done_status::fuel_exceeded:
      return {exit_kind::limit_exceeded, "fuel"};
    case done_status::time_exceeded:
      return {exit_kind::limit_exceeded, "time"};
  }
  return {exit_kind::backend_failure,
          "the enclave host sent an unknown status "
            + std::to_string(done.status)};
}

} // namespace

tee_agent::tee_agent(caf::actor_config& cfg, session_opening opening,
                     std::shared_ptr<agent_cell> cell,
                     std::shared_ptr<node_services> services,
                     std::map<std::string, std::string> env)
  : hosting_actor(cfg, *services),
    opening_(std::make_unique<session_opening>(std::move(opening))),
    ctx_(this, std::move(cell), std::move(services), std::move(env)) {
}

caf::behavior tee_agent::make_behavior() {
  // The thread that starts the host must outlive it, because the host gets
  // SIGKILL when that thread ends (PR_SET_PDEATHSIG). So one thread opens
  // the session and then reads its channel.
  reader_ = std::thread([this, self = caf::actor_cast<caf::actor>(this)] {
    auto opened = enclave_session::open(*opening_, &canceller_);
    enclave_process* process = nullptr;
    channel_reader* channel = nullptr;
    {
      std::lock_guard<std::mutex> guard{opened_mutex_};
      // An agent that ended meanwhile kills the host here, with `opened`.
      if (exiting_)
        return;
      if (opened) {
        process = &(*opened)->process();
        try {
          channel_ = std::make_unique<channel_reader>(
            process->channel(), (*opened)->take_consumer(),
            (*opened)->take_opener());
          channel = channel_.get();
        } catch (const std::system_error& error) {
          // Replacing the session kills and reaps the host.
          opened = make_error(errc::spawn_failed,
                              std::string(error.what())
                                + "; free descriptors and spawn the agent "
                                  "again");
        }
      }
      opened_ = std::move(opened);
    }
    caf::anon_send(self, opened_atom::value);
    if (channel)
      channel->run(report_to(self, *process));
  });
  // Messages that arrive during attestation wait in the mailbox.
  set_default_handler(caf::skip);
  return {
    [this](opened_atom) { on_opened(); },
    [this](shutdown_atom) { quit(to_exit_error({exit_kind::shutdown, {}})); },
  };
}

void tee_agent::on_opened() {
  opening_.reset();
  auto opened = [this] {
    std::lock_guard<std::mutex> guard{opened_mutex_};
    auto result = std::move(*opened_);
    opened_.reset();
    return result;
  }();
  if (!opened) {
    quit(std::move(opened.error()));
    return;
  }
  session_ = std::move(*opened);
  ctx_.cell().memory_bytes.store(session_->memory_bytes());
  send(ctx_.services().kernel, started_atom::value, ctx_.pid(),
       session_->details());
  set_default_handler(caf::drop);
  become(running());
}

caf::behavior tee_agent::running() {
  return {
    [this](message& msg) { return accept(msg); },
    [this](host_frame_atom, const std::string& plain) {
      channel_->frame_handled();
      on_frame(plain);
      await_host();
    },
    [this](channel_error_atom, const std::string& detail) {
      fail_channel(detail);
    },
    [this](idle_check_atom) { on_idle_check(); },
    [this](host_exit_atom, const std::string& detail) {
      end_agent({exit_kind::crashed, "enclave host " + detail});
    },
    [this](suspend_atom) { suspended_ = true; },
    [this](resume_atom) {
      suspended_ = false;
      begin_next();
    },
    [this](shutdown_atom) { end_agent({exit_kind::shutdown, {}}); },
    [this](deadline_atom) { ctx_.expire_requests(); },
    [this](const down_notice& notice) {
      queue_message(ctx_.down_message(notice));
    },
    [this](const exit_signal& signal) {
      ctx_.log_linked_exit(signal);
      end_agent(signal.reason);
    },
  };
}

void tee_agent::on_exit() {
  {
    std::lock_guard<std::mutex> guard{opened_mutex_};
    exiting_ = true;
    // A session opened after the agent began to exit is killed below.
    if (opened_ && *opened_)
      session_ = std::move(**opened_);
    opened_.reset();
  }
  canceller_.cancel();
  wasm::fail_pending(ctx_, current_, queue_, "it was killed");
  if (session_) {
    session_->process().kill();
    session_->process().shutdown_channel();
  }
  if (channel_)
    channel_->stop();
  if (reader_.joinable())
    reader_.join();
  channel_.reset();
  session_.reset();
  ctx_.release_cell();
}

caf::result<message> tee_agent::accept(message& msg) {
  ctx_.cell().messages_in.fetch_add(1, std::memory_order_relaxed);
  if (queue_.size() >= session_->budget().mailbox) {
    post_dead_letter(ctx_.services(), msg, std::to_string(ctx_.pid()),
                     dead_letter_reason::mailbox_full);
    return make_error(errc::mailbox_full,
                      "agent " + ctx_.agent_id() + " (pid "
                        + std::to_string(ctx_.pid()) + ") has "
                        + std::to_string(queue_.size())
                        + " messages waiting, its mailbox limit; retry later "
                          "or raise limits.mailbox_size");
  }
  wasm::pending_message entry{std::move(msg), {}, true};
  if (entry.msg.kind == message_kind::request)
    entry.promise = make_response_promise<message>();
  queue_.push_back(std::move(entry));
  begin_next();
  return caf::delegated<message>{};
}

void tee_agent::queue_message(message msg) {
  if (ended_)
    return;
  if (queue_.size() >= session_->budget().mailbox) {
    post_dead_letter(ctx_.services(), msg, std::to_string(ctx_.pid()),
                     dead_letter_reason::mailbox_full);
    return;
  }
  queue_.push_back({std::move(msg), {}});
  begin_next();
}

void tee_agent::begin_next() {
  while (!ended_ && !suspended_ && !current_ && !queue_.empty()) {
    current_ = std::move(queue_.front());
    queue_.pop_front();
    ctx_.begin_message(&current_->msg);
    if (send_to_host(deliver_frame{current_->msg})) {
      await_host();
      return;
    }
    // The message does not fit in a channel frame, so the agent goes on
    // with the next one.
    reject_too_large();
  }
}

void tee_agent::await_host() {
  // Frames handled here may send the next message to the host, which
  // calls this again; the loop below then waits for that reply.
  if (awaiting_ || !channel_)
    return;
  awaiting_ = true;
  for (int frames = 0; current_ && !ended_; ++frames) {
    if (frames == max_inline_frames)
      break;
    auto got = channel_->await_frame(inline_reply_spin);
    if (got.outcome == channel_reader::inline_result::kind::none)
      break;
    if (got.outcome == channel_reader::inline_result::kind::authentication
        || got.outcome == channel_reader::inline_result::kind::corrupt) {
      fail_channel(got.plain);
      break;
    }
    on_frame(got.plain);
  }
  if (!ended_ && current_)
    channel_->hand_off(); // the host still works on the message
  else if (!ended_)
    schedule_idle_check();
  awaiting_ = false;
}

void tee_agent::schedule_idle_check() {
  if (idle_check_pending_)
    return;
  idle_check_pending_ = true;
  delayed_send(this, idle_check_delay, idle_check_atom::value);
}

void tee_agent::on_idle_check() {
  idle_check_pending_ = false;
  // While a message is with the host, its frames are read anyway. The end
  // of that exchange schedules the next check.
  if (!current_ && !ended_)
    channel_->hand_off();
}

void tee_agent::fail_channel(const std::string& detail) {
  end_agent({exit_kind::backend_failure,
             "enclave channel: " + detail + "; the enclave host was killed"});
}

void tee_agent::reject_too_large() {
  auto finished = std::move(*current_);
  current_.reset();
  ctx_.begin_message(nullptr);
  auto detail = "agent " + ctx_.agent_id() + " (pid "
                + std::to_string(ctx_.pid())
                + ") cannot take the message with topic "
                + finished.msg.topic.substr(0, 64) + " ("
                + std::to_string(finished.msg.topic.size()) + "-byte topic, "
                + std::to_string(finished.msg.payload.size())
                + "-byte payload): it does not fit in one frame of the "
                  "enclave channel, at most "
                + std::to_string(max_frame_bytes)
                + " bytes; send a payload of at most 16 MiB with a short "
                  "topic";
  ctx_.log(spdlog::level::warn, "dropped a message: " + detail);
  post_dead_letter(ctx_.services(), finished.msg, std::to_string(ctx_.pid()),
                   dead_letter_reason::too_large);
  if (finished.promise.pending())
    finished.promise.deliver(
      make_error(errc::resource_limit_exceeded, detail));
}

bool tee_agent::send_to_host(const channel_frame& frame) {
  auto status = session_->send(frame);
  switch (status) {
    case send_status::sent:
      return true;
    case send_status::too_large:
      return false;
    case send_status::timed_out:
      end_agent({exit_kind::backend_failure,
                 "enclave channel: the enclave host did not read a frame "
                 "within "
                   + std::to_string(session_->write_timeout().count())
                   + " ms (stopped or hung); the enclave host was killed"});
      return true;
    case send_status::corrupt:
      fail_channel("the enclave host corrupted the shared ring: "
                   + session_->channel_error(status));
      return true;
    case send_status::exhausted:
      fail_channel(session_->channel_error(status));
      return true;
    case send_status::failed:
      // The host is gone, and the reader reports how it ended.
      return true;
  }
  return true;
}

void tee_agent::on_frame(const std::string& plain) {
  if (ended_)
    return;
  auto frame = decode_frame(plain);
  if (!frame) {
    end_agent({exit_kind::backend_failure,
               "the enclave host sent a frame that does not decode"});
    return;
  }
  if (auto* done = std::get_if<done_frame>(&*frame)) {
    on_done(*done);
  } else if (auto* op = std::get_if<op_frame>(&*frame)) {
    on_op(*op);
  } else if (auto* line = std::get_if<log_frame>(&*frame)) {
    // A level beyond critical would be logged under the name "off".
    ctx_.log(static_cast<spdlog::level::level_enum>(
               std::min<std::uint8_t>(line->level, spdlog::level::critical)),
             host_log_line(line->text));
  } else {
    end_agent({exit_kind::backend_failure,
               "the enclave host sent a frame out of order"});
  }
}

void tee_agent::on_done(done_frame& done) {
  if (!current_) {
    end_agent({exit_kind::backend_failure,
               "the enclave host finished a message it was not given"});
    return;
  }
  auto& cell = ctx_.cell();
  cell.fuel.fetch_add(done.instructions, std::memory_order_relaxed);
  cell.cpu_ns.fetch_add(done.cpu_ns, std::memory_order_relaxed);
  cell.memory_bytes.store(done.memory_bytes, std::memory_order_relaxed);
  auto finished = std::move(*current_);
  current_.reset();
  ctx_.begin_message(nullptr);
  if (static_cast<done_status>(done.status) != done_status::returned) {
    current_ = std::move(finished); // failed with the others in end_agent
    end_agent(reason_of(done));
    return;
  }
  wasm::deliver_handler_result(ctx_, finished, done.value,
                               std::move(done.reply));
  if (limits_exceeded())
    return;
  begin_next();
}

void tee_agent::end_agent(exit_reason reason) {
  if (ended_)
    return;
  ended_ = true;
  wasm::fail_pending(ctx_, current_, queue_,
                     "it exited: " + to_string(reason));
  session_->process().kill();
  quit(to_exit_error(reason));
}

bool tee_agent::limits_exceeded() {
  auto& cell = ctx_.cell();
  const auto& budget = session_->budget();
  if (budget.fuel_total != 0 && cell.fuel.load() >= budget.fuel_total) {
    end_agent({exit_kind::limit_exceeded, "fuel"});
    return true;
  }
  for (auto check : {std::make_tuple("fuel", cell.fuel.load(),
                                     cell.limits.fuel, &warned_fuel_),
                     std::make_tuple("messages", cell.messages_in.load(),
                                     cell.limits.max_messages,
                                     &warned_messages_)}) {
    auto [resource, used, limit, warned] = check;
    switch (check_limit(used, limit, *warned)) {
      case limit_verdict::exceeded:
        end_agent({exit_kind::limit_exceeded, resource});
        return true;
      case limit_verdict::warning:
        ctx_.warn_supervisor(
          {ctx_.pid(), ctx_.agent_id(), resource, used, *limit});
        break;
      case limit_verdict::within:
        break;
    }
  }
  return false;
}

} // namespace corral::tee
