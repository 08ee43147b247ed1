#pragma once

#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <caf/response_promise.hpp>

#include "actors/agent_context.hpp"
#include "actors/hosting_actor.hpp"
#include "backends/tee/channel_reader.hpp"
#include "backends/tee/enclave_session.hpp"
#include "backends/wasm/guest_requests.hpp"

namespace corral::tee {

/// A sealed frame from the host, opened by the channel's reader thread.
using host_frame_atom = caf::atom_constant<caf::atom("hostframe")>;
/// The channel failed authentication or its ring is invalid; the payload
/// describes the failure.
using channel_error_atom = caf::atom_constant<caf::atom("chanerror")>;
/// The host process ended; the payload describes its wait status.
using host_exit_atom = caf::atom_constant<caf::atom("hostexit")>;
/// The thread that opens the session finished, with or without success.
using opened_atom = caf::atom_constant<caf::atom("opened")>;
/// Time to let the reader thread watch an idle channel again.
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;

/// The enclave proxy: the CAF actor that represents a Tee agent in the
/// process table. It queues the agent's messages and hands them one at a
/// time to the enclave host over the sealed channel. It serves the
/// workload's host calls (send, request, publish, ...) with its
/// agent_context. It ends the agent when the channel fails authentication
/// (`backend_failure`) or the host dies (`crashed`). A thread per agent
/// starts and attests the host, off the kernel's thread, and then reads
/// the channel. After the actor sends the host a frame that the host
/// replies to, it waits inline for the reply for up to
/// `inline_reply_spin`. Replies that come later go through that thread
/// and the actor's mailbox.
class tee_agent : public hosting_actor {
public:
  /// Prepares the agent described by `cell`, whose session `opening`
  /// describes.
  tee_agent(caf::actor_config& cfg, session_opening opening,
            std::shared_ptr<agent_cell> cell,
            std::shared_ptr<node_services> services,
            std::map<std::string, std::string> env);

  /// Starts the thread that opens the session and returns the behavior
  /// that waits for it, holding the agent's messages until then.
  caf::behavior make_behavior() override;

  /// Cancels an unfinished attestation, kills and reaps the host, joins the
  /// threads and releases the cell.
  void on_exit() override;

private:
  caf::behavior running();
  /// Takes the opened session over and reports to the kernel that the
  /// agent runs, or exits with the reason it could not start.
  void on_opened();
  caf::result<message> accept(message& msg);
  void queue_message(message msg);
  void begin_next();
  void on_frame(const std::string& plain);
  void on_done(done_frame& done);
  void on_op(const op_frame& op);
  std::int64_t perform(const op_frame& op);
  /// Sends `frame` to the host. Returns false only when it is too large
  /// for the channel, and ends the agent when the host does not read in
  /// time.
  bool send_to_host(const channel_frame& frame);
  /// Fails the current message, which does not fit in a channel frame.
  void reject_too_large();
  /// Reads the host's frames inline while a message is with the host, for
  /// a short time per frame, and handles them.
  void await_host();
  /// Hands the channel to the reader thread shortly after the last
  /// exchange, unless another one has begun.
  void schedule_idle_check();
  void on_idle_check();
  void fail_channel(const std::string& detail);
  void end_agent(exit_reason reason);
  bool limits_exceeded();

  std::unique_ptr<session_opening> opening_;
  open_canceller canceller_;
  /// Guards `opened_` and `exiting_`, shared with the reader thread.
  std::mutex opened_mutex_;
  /// The session the reader thread opened, until the actor takes it.
  std::optional<caf::expected<std::unique_ptr<enclave_session>>> opened_;
  /// The proxy's end of the channel, shared with the reader thread. Set
  /// by that thread, under `opened_mutex_`, before it reports `opened_atom`.
  std::unique_ptr<channel_reader> channel_;
  bool exiting_ = false;
  std::unique_ptr<enclave_session> session_;
  agent_context ctx_;
  std::thread reader_;
  std::deque<wasm::pending_message> queue_;
  std::optional<wasm::pending_message> current_;
  std::uint64_t next_correlation_ = 1;
  bool suspended_ = false;
  bool ended_ = false;
  bool awaiting_ = false;
  bool idle_check_pending_ = false;
  bool warned_fuel_ = false;
  bool warned_messages_ = false;
};

} // namespace corral::tee
