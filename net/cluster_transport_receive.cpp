// The receiving half of cluster_transport: reading frames from the
// ROUTER socket, checking their sender and header, reassembling chunks,
// unpacking batches, and handing payloads to the handlers.

#include "net/cluster_transport.hpp"

#include "net/net_log.hpp"
#include "serialization/frame_batch.hpp"
#include "serialization/json_reader.hpp"
#include "serialization/node_id.hpp"

namespace corral {

namespace {

using clock_type = std::chrono::steady_clock;

/// Frames and body bytes read from the ROUTER per poll round, so that a
/// flood of inbound frames cannot starve sending and the timer. Without
/// the byte bound, a round could read 256 chunks of a large message
/// (64 MiB) and delay this node's heartbeats by the time of copying them.
constexpr int max_frames_per_round = 256;
constexpr std::size_t max_bytes_per_round = 4 * 1024 * 1024;

std::size_t lane_index(lane which) {
  return which == lane::control ? 0 : 1;
}

std::string_view view_of(const zmq::message_t& part) {
  return {static_cast<const char*>(part.data()), part.size()};
}

std::string to_text(const zmq::message_t& part) {
  return std::string{view_of(part)};
}

} // namespace

void cluster_transport::receive_frames() {
  std::size_t bytes = 0;
  for (int i = 0; i < max_frames_per_round && bytes < max_bytes_per_round;
       ++i) {
    if (!router_.recv(parts_[0], zmq::recv_flags::dontwait))
      return;
    // ZeroMQ delivers all parts of a message or none, so reading the rest
    // never waits. Parts beyond the third are read into one scratch part.
    std::size_t count = 1;
    bool more = parts_[0].more();
    zmq::message_t extra;
    while (more) {
      auto& next = count < parts_.size() ? parts_[count] : extra;
      (void) router_.recv(next, zmq::recv_flags::none);
      more = next.more();
      ++count;
    }
    bytes += parts_[parts_.size() - 1].size();
    if (count != parts_.size()) {
      drop(drop_reason::bad_part_count,
           "a message from " + quote_for_error(to_text(parts_[0])) + " has "
             + std::to_string(count)
             + " parts instead of 3 (identity, header, body)");
      continue;
    }
    receive_one();
  }
}

void cluster_transport::receive_one() {
  if (zap_ && !sender_matches_key(to_text(parts_[0]), parts_[1]))
    return;
  check_frame(view_of(parts_[0]), view_of(parts_[1]), parts_[2]);
}

bool cluster_transport::sender_matches_key(const std::string& identity,
                                           const zmq::message_t& header) {
  // The ZAP handler named the key's node id as the connection's User-Id;
  // the routing identity is only what the peer claims.
  const char* user_id = zmq_msg_gets(header.handle(), "User-Id");
  auto slash = identity.rfind('/');
  auto claimed = identity.substr(0, slash == std::string::npos ? 0 : slash);
  if (user_id != nullptr && claimed == user_id)
    return true;
  drop(drop_reason::key_mismatch,
       "a peer that authenticated with the Curve key of "
         + (user_id != nullptr ? std::string{user_id} : std::string{"nobody"})
         + " claims to be " + quote_for_error(claimed)
         + "; its frames are refused");
  return false;
}

bool cluster_transport::parse_identity(std::string_view identity) {
  if (!last_identity_.empty() && identity == last_identity_)
    return true;
  last_identity_.clear();
  auto slash = identity.rfind('/');
  std::string sender{identity.substr(0, slash == std::string_view::npos
                                          ? 0
                                          : slash)};
  lane which = lane::control;
  if (slash == std::string_view::npos || node_id_error(sender)
      || !from_string(std::string{identity.substr(slash + 1)}, which)) {
    drop(drop_reason::bad_identity,
         "routing identity " + quote_for_error(std::string{identity})
           + " is not NODE_ID/control or NODE_ID/bulk");
    return false;
  }
  inbound_.sender = std::move(sender);
  inbound_.lane = which;
  last_identity_ = identity;
  return true;
}

void cluster_transport::check_frame(std::string_view identity,
                                    std::string_view header_bytes,
                                    const zmq::message_t& body_part) {
  if (!parse_identity(identity))
    return;
  const auto& sender = inbound_.sender;
  auto which = inbound_.lane;

  auto decoded = decode_frame_header(header_bytes, limits_);
  if (decoded.error != frame_error::none) {
    drop(to_drop_reason(decoded.error), "from " + sender + ": " + decoded.detail);
    return;
  }
  const auto& header = decoded.header;
  if (header.lane != static_cast<std::uint8_t>(which)) {
    drop(drop_reason::invalid_lane,
         "from " + sender + ": header lane " + std::to_string(header.lane)
           + " arrived on the " + to_string(which) + " connection");
    return;
  }
  auto body = view_of(body_part);
  if (body.size() != header.body_size) {
    drop(drop_reason::body_size_mismatch,
         "from " + sender + ": body has " + std::to_string(body.size())
           + " bytes but the header says "
           + std::to_string(header.body_size));
    return;
  }

  counters_.frames_received[lane_index(which)]++;
  counters_.bytes_received += header_bytes.size() + body.size();
  if (header.kind == static_cast<std::uint8_t>(frame_kind::batch)) {
    receive_batch(header, body);
    return;
  }
  if (header.chunk_count > 1) {
    receive_chunk(header, body);
    return;
  }
  inbound_.kind = header.kind;
  inbound_.message_id = header.message_id;
  inbound_.body.assign(body);
  deliver(inbound_);
}

void cluster_transport::receive_chunk(const frame_header& header,
                                      std::string_view body) {
  const auto& sender = inbound_.sender;
  inbound_frame frame{sender, inbound_.lane, header.kind, header.message_id,
                      {}};
  switch (reassembly_.add(sender, header, body, frame.body)) {
    case frame_reassembly::outcome::pending:
    case frame_reassembly::outcome::discarded:
      return;
    case frame_reassembly::outcome::complete:
      ++counters_.messages_reassembled;
      deliver(frame);
      return;
    case frame_reassembly::outcome::invalid_chunk:
      drop(drop_reason::invalid_chunk,
           "from " + sender + ": chunk " + std::to_string(header.chunk_index)
             + " of message " + std::to_string(header.message_id)
             + " is out of order; the message is dropped");
      return;
    case frame_reassembly::outcome::overflow:
      drop(drop_reason::reassembly_overflow,
           "from " + sender + ": message " + std::to_string(header.message_id)
             + " would exceed the "
             + std::to_string(config_.max_reassembly_bytes_per_peer)
             + "-byte reassembly limit of this peer; the message is dropped");
      return;
  }
}

void cluster_transport::receive_batch(const frame_header& header,
                                      std::string_view body) {
  const auto& sender = inbound_.sender;
  if (header.chunk_count != 1) {
    drop(drop_reason::invalid_batch,
         "from " + sender + ": batch " + std::to_string(header.message_id)
           + " is chunk " + std::to_string(header.chunk_index) + " of "
           + std::to_string(header.chunk_count)
           + ", but a batch must be one frame");
    return;
  }
  auto decoded = decode_batch(body);
  if (decoded.error != batch_error::none) {
    drop(drop_reason::invalid_batch,
         "from " + sender + ": batch " + std::to_string(header.message_id)
           + ": " + decoded.detail);
    return;
  }
  ++counters_.batches_received;
  // Entry i has the message id of the batch plus i.
  for (std::size_t i = 0; i < decoded.entries.size(); ++i) {
    inbound_.kind = decoded.entries[i].kind;
    inbound_.message_id = header.message_id + i;
    inbound_.body.assign(decoded.entries[i].body);
    deliver(inbound_);
  }
}

void cluster_transport::deliver(inbound_frame& frame) {
  if (is_payload_kind(frame.kind))
    moved_payload_ = true;
  try {
    if (auto rejected = events_.on_frame(frame))
      drop(rejected->reason, "from " + frame.sender + ": "
                               + kind_name(frame.kind) + ": "
                               + rejected->detail);
  } catch (const std::exception& e) {
    ++counters_.handler_exceptions;
    drop(drop_reason::internal_error,
         "handling " + kind_name(frame.kind) + " from " + frame.sender
           + " threw: " + e.what());
  }
}

void cluster_transport::read_monitors() {
  // Events are collected first, because a handler may close links.
  std::vector<std::pair<std::string, link_event>> events;
  for (auto& [peer, link] : links_) {
    bool more = true;
    while (more)
      if (auto event = link->read_monitor_event(more))
        events.emplace_back(peer, *event);
  }
  for (const auto& [peer, event] : events) {
    if (event == link_event::handshake_failed
        || event == link_event::key_refused)
      log_handshake_failure(peer, event);
    else
      events_.on_link_event(peer, event);
  }
}

// Membership receives no event for a failed handshake, because no connection
// was made, but the joining node's operator needs to know why the peer
// stays silent.
void cluster_transport::log_handshake_failure(const std::string& peer,
                                              link_event event) {
  auto link = links_.find(peer);
  if (link == links_.end()
      || !link->second->take_handshake_log_turn(clock_type::now()))
    return;
  const auto& address = link->second->address();
  // A seed link is named "seed ADDRESS", and the config maps the address
  // to the seed's node id.
  auto node = peer;
  const auto& seed_ids = config_.security.seed_ids;
  if (auto seed = seed_ids.find(address);
      seed != seed_ids.end() && peer.rfind("seed ", 0) == 0)
    node = seed->second;
  if (event == link_event::key_refused)
    net_log(spdlog::level::warn, node_id_,
            "node " + node + " at " + address
              + " refused this node's public key in the CurveZMQ handshake; "
                "add this node's key to the peer keys of " + node
              + " and restart it");
  else
    net_log(spdlog::level::warn, node_id_,
            "the CurveZMQ handshake with " + node + " at " + address
              + " failed; check that the public key given for " + node
              + " is the one that `corral keygen` printed for it");
}

void cluster_transport::drop(drop_reason reason, const std::string& detail) {
  auto index = static_cast<std::size_t>(reason);
  auto count = ++counters_.dropped[index];
  // Errors of the I/O thread itself count with the drops, because the
  // frame being handled is lost with them.
  std::string event = reason == drop_reason::internal_error
                        ? "error on the cluster I/O thread"
                        : "dropped an inbound frame";
  drop_log_.write(index, spdlog::level::warn,
                  event + " (" + to_string(reason) + ", "
                    + std::to_string(count) + " so far): " + detail,
                  clock_type::now());
}

void cluster_transport::forget_partial_messages(const std::string& peer) {
  reassembly_.forget(peer);
}

} // namespace corral
