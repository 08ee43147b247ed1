#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include "actors/agent_context.hpp"
#include "backends/tee/channel_reader.hpp"
#include "backends/tee/enclave_session.hpp"
#include "backends/wasm/guest_requests.hpp"

namespace corral::tee {

/// A sealed frame from the host, opened by the channel's reader thread.
using host_frame_atom = caf::atom_constant<caf::atom("hostframe")>;
/// The channel failed authentication; the payload describes the failure.
using channel_error_atom = caf::atom_constant<caf::atom("chanerror")>;
/// The host process ended; the payload describes its wait status.
using host_exit_atom = caf::atom_constant<caf::atom("hostexit")>;
/// Time to let the reader thread watch an idle channel again.
using idle_check_atom = caf::atom_constant<caf::atom("idlecheck")>;

/// The enclave proxy: the CAF actor that represents a Tee agent in the
/// process table. It queues the agent's messages and hands them one at a
/// time to the enclave host over the sealed channel. It serves the
/// workload's host calls (send, request, publish, ...) with its
/// agent_context. It ends the agent when the channel fails authentication
/// (`backend_failure`) or the host dies (`crashed`). After it sends the
/// host a frame that the host replies to, it waits inline for the reply
/// for up to `inline_reply_spin`. Replies that come later go through a
/// reader thread per agent and the actor's mailbox.
class tee_agent : public caf::event_based_actor {
public:
  /// Takes over the attested `session` as the agent described by `cell`.
  tee_agent(caf::actor_config& cfg, std::unique_ptr<enclave_session> session,
            std::shared_ptr<agent_cell> cell,
            std::shared_ptr<node_services> services,
            std::map<std::string, std::string> env);

  /// Returns the running behavior and starts the reader thread.
  caf::behavior make_behavior() override;

  /// Kills and reaps the host, joins the reader and releases the cell.
  void on_exit() override;

private:
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
  void start_reader();
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

  std::unique_ptr<enclave_session> session_;
  agent_context ctx_;
  std::unique_ptr<channel_reader> reader_;
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
