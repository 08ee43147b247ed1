// The sending half of cluster_transport: queueing from other threads,
// packing small messages into batches, cutting large ones into chunks,
// and links to peers.

#include "net/cluster_transport.hpp"

#include "net/net_log.hpp"
#include "serialization/frame_batch.hpp"

namespace corral {

namespace {

std::size_t lane_index(lane which) {
  return which == lane::control ? 0 : 1;
}

} // namespace

std::optional<failure> cluster_transport::submit(const std::string& peer,
                                                 lane which, std::uint8_t kind,
                                                 std::string body) {
  if (!is_payload_kind(kind))
    return failure{errc::invalid_request,
                   "frame kind " + std::to_string(kind)
                     + " is not a payload kind; use "
                     + std::to_string(first_payload_kind) + " to "
                     + std::to_string(last_payload_kind)};
  if (body.size() > config_.max_message_bytes)
    return failure{errc::invalid_request,
                   "a message of " + std::to_string(body.size())
                     + " bytes exceeds the limit of "
                     + std::to_string(config_.max_message_bytes) + " bytes"};
  outbound_message message{peer, which, kind, std::move(body)};
  auto error = outbox_.push(std::move(message));
  if (error && error->code == errc::resource_limit_exceeded)
    ++counters_.send_queue_full;
  return error;
}

frame_header cluster_transport::make_header(std::uint8_t kind, lane which,
                                            std::uint64_t message_id,
                                            std::uint32_t index,
                                            std::uint32_t count,
                                            std::size_t size) const {
  frame_header header;
  header.kind = kind;
  header.lane = static_cast<std::uint8_t>(which);
  header.message_id = message_id;
  header.chunk_index = index;
  header.chunk_count = count;
  header.body_size = static_cast<std::uint32_t>(size);
  return header;
}

void cluster_transport::queue_outbound(bool clear_wakeup) {
  outbox_.take(taken_, clear_wakeup);
  // The outbox contains payloads only, because membership sends its
  // frames directly.
  if (!taken_.empty())
    moved_payload_ = true;
  // Messages of a burst mostly go to one peer, so the link of the previous
  // message is tried before the map.
  peer_link* link = nullptr;
  const std::string* link_peer = nullptr;
  for (auto& message : taken_) {
    if (link_peer == nullptr || *link_peer != message.peer) {
      auto found = links_.find(message.peer);
      link = found == links_.end() ? nullptr : found->second.get();
      link_peer = &message.peer;
    }
    if (link == nullptr) {
      // The link closed after `submit` accepted the message.
      outbox_.release(message.peer, message.body.size());
      ++counters_.send_dropped;
      continue;
    }
    if (fits_in_batch(message.body.size()))
      add_to_batch(*link, message);
    else
      queue_chunks(*link, message);
  }
  taken_.clear();
}

bool cluster_transport::fits_in_batch(std::size_t size) const {
  return batch_count_bytes + batch_entry_bytes(size) <= config_.max_batch_bytes;
}

void cluster_transport::add_to_batch(peer_link& link,
                                     outbound_message& message) {
  auto& batch = link.batch(message.lane);
  auto size = message.body.size();
  if (batch.entries == max_batch_entries
      || batch.body.size() + batch_entry_bytes(size)
           > config_.max_batch_bytes)
    close_batch(link, message.lane);
  if (batch.entries == 0) {
    begin_batch(batch.body);
    batch.first_kind = message.kind;
  }
  append_batch_entry(batch.body, message.kind, message.body.data(), size);
  ++batch.entries;
  batch.queued_bytes += size;
}

void cluster_transport::close_batch(peer_link& link, lane which) {
  auto& batch = link.batch(which);
  if (batch.entries == 0)
    return;
  pending_chunk frame;
  frame.queued_bytes = batch.queued_bytes;
  frame.messages = batch.entries;
  auto first_id = next_message_id_;
  next_message_id_ += batch.entries;
  auto body = std::make_shared<const std::string>(std::move(batch.body));
  if (batch.entries == 1) {
    // A lone message goes as a plain frame, so an idle link sends exactly
    // what it sent before batching existed.
    frame.offset = batch_count_bytes + batch_entry_header_bytes;
    frame.size = body->size() - frame.offset;
    frame.header = make_header(batch.first_kind, which, first_id, 0, 1,
                               frame.size);
  } else {
    frame.size = body->size();
    frame.header = make_header(static_cast<std::uint8_t>(frame_kind::batch),
                               which, first_id, 0, 1, frame.size);
  }
  frame.body = std::move(body);
  link.pending(which).push_back(std::move(frame));
  batch = open_batch{};
}

void cluster_transport::queue_chunks(peer_link& link,
                                     outbound_message& message) {
  // Messages keep their order on a lane: the small ones before this one
  // go first.
  close_batch(link, message.lane);
  auto size = message.body.size();
  auto chunk = config_.chunk_bytes;
  auto count = size <= chunk ? std::size_t{1} : (size + chunk - 1) / chunk;
  auto message_id = next_message_id_++;
  auto body = std::make_shared<const std::string>(std::move(message.body));
  auto& pending = link.pending(message.lane);
  for (std::size_t i = 0; i < count; ++i) {
    pending_chunk frame;
    frame.offset = i * chunk;
    frame.size = std::min(chunk, size - frame.offset);
    frame.queued_bytes = frame.size;
    frame.header = make_header(message.kind, message.lane, message_id,
                               static_cast<std::uint32_t>(i),
                               static_cast<std::uint32_t>(count), frame.size);
    frame.body = body;
    pending.push_back(std::move(frame));
  }
}

void cluster_transport::flush_pending() {
  for (auto& [peer, link] : links_) {
    for (auto which : {lane::control, lane::bulk}) {
      auto& pending = link->pending(which);
      std::size_t released = 0;
      for (;;) {
        // The open batch is closed only when it can go out next. While
        // earlier frames wait for the socket, it keeps growing.
        if (pending.empty())
          close_batch(*link, which);
        if (pending.empty())
          break;
        auto& next = pending.front();
        if (!link->try_send(which, next))
          break;
        counters_.frames_sent[lane_index(which)]++;
        counters_.bytes_sent += frame_header_bytes + next.size;
        if (next.header.kind == static_cast<std::uint8_t>(frame_kind::batch)) {
          ++counters_.batches_sent;
          counters_.messages_batched += next.messages;
        }
        released += next.queued_bytes;
        pending.pop_front();
      }
      if (released > 0)
        outbox_.release(peer, released);
    }
  }
}

const std::string*
cluster_transport::find_server_key(const std::string& peer,
                                   const std::string& address) const {
  const auto& security = config_.security;
  auto id = peer;
  // Seed links are named "seed ADDRESS"; the config names the node there.
  if (auto seed = security.seed_ids.find(address);
      seed != security.seed_ids.end() && peer.rfind("seed ", 0) == 0)
    id = seed->second;
  if (id == node_id_)
    return &security.public_key;
  auto key = security.peer_keys.find(id);
  return key == security.peer_keys.end() ? nullptr : &key->second;
}

void cluster_transport::open_link(const std::string& peer,
                                  const std::string& address) {
  close_link(peer);
  std::string server_key;
  if (config_.security.enabled) {
    const auto* key = find_server_key(peer, address);
    if (key == nullptr) {
      ++counters_.members_without_key;
      if (peers_without_key_.insert(peer).second)
        net_log(spdlog::level::warn, node_id_,
                "not connecting to " + peer + " at " + address
                  + ": the config has no public key for it; add it with "
                    "--peer-key " + peer + "=KEY or to the [peers] table");
      return;
    }
    server_key = *key;
  }
  try {
    links_[peer] = std::make_unique<peer_link>(context_, node_id_, address,
                                               config_, server_key);
  } catch (const zmq::error_t& e) {
    links_.erase(peer);
    net_log(spdlog::level::err, node_id_,
            "cannot connect to " + peer + " at " + address + ": " + e.what());
    return;
  }
  outbox_.set_open(peer, true);
}

void cluster_transport::close_link(const std::string& peer) {
  auto link = links_.find(peer);
  if (link == links_.end())
    return;
  for (auto which : {lane::control, lane::bulk}) {
    counters_.send_dropped += link->second->pending(which).size();
    if (link->second->batch(which).entries > 0)
      ++counters_.send_dropped;
  }
  outbox_.set_open(peer, false);
  links_.erase(link);
}

bool cluster_transport::send_control(const std::string& peer, frame_kind kind,
                                     const std::string& body) {
  auto link = links_.find(peer);
  if (link == links_.end() || body.size() > config_.chunk_bytes) {
    ++counters_.control_send_failures;
    return false;
  }
  auto header = make_header(static_cast<std::uint8_t>(kind), lane::control,
                            next_message_id_++, 0, 1, body.size());
  if (!link->second->try_send(lane::control, header, body.data(),
                              body.size())) {
    ++counters_.control_send_failures;
    return false;
  }
  counters_.frames_sent[0]++;
  counters_.bytes_sent += frame_header_bytes + body.size();
  return true;
}

} // namespace corral
