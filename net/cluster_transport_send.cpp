// The sending half of cluster_transport: queueing from other threads,
// cutting messages into chunks, and links to peers.

#include "net/cluster_transport.hpp"

#include "net/net_log.hpp"

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
  outbound_message message{
    peer, which, kind, std::make_shared<const std::string>(std::move(body))};
  auto error = outbox_.push(std::move(message));
  if (error && error->code == errc::resource_limit_exceeded)
    ++counters_.send_queue_full;
  return error;
}

std::string cluster_transport::make_header(std::uint8_t kind, lane which,
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
  return encode_frame_header(header);
}

void cluster_transport::queue_outbound() {
  for (auto& message : outbox_.take()) {
    auto size = message.body->size();
    auto link = links_.find(message.peer);
    if (link == links_.end()) {
      // The link closed after `submit` accepted the message.
      outbox_.release(message.peer, size);
      ++counters_.send_dropped;
      continue;
    }

    auto chunk = config_.chunk_bytes;
    auto count = size <= chunk ? std::size_t{1} : (size + chunk - 1) / chunk;
    auto message_id = next_message_id_++;
    auto& pending = link->second->pending(message.lane);
    for (std::size_t i = 0; i < count; ++i) {
      auto offset = i * chunk;
      auto piece = std::min(chunk, size - offset);
      pending.push_back(pending_chunk{
        make_header(message.kind, message.lane, message_id,
                    static_cast<std::uint32_t>(i),
                    static_cast<std::uint32_t>(count), piece),
        message.body, offset, piece});
    }
  }
}

void cluster_transport::flush_pending() {
  for (auto& [peer, link] : links_) {
    for (auto which : {lane::control, lane::bulk}) {
      auto& pending = link->pending(which);
      std::size_t released = 0;
      while (!pending.empty()) {
        auto& next = pending.front();
        if (!link->try_send(which, next.header,
                            next.body->data() + next.offset, next.size))
          break;
        counters_.frames_sent[lane_index(which)]++;
        counters_.bytes_sent += next.header.size() + next.size;
        released += next.size;
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
  for (auto which : {lane::control, lane::bulk})
    counters_.send_dropped += link->second->pending(which).size();
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
  counters_.bytes_sent += header.size() + body.size();
  return true;
}

} // namespace corral
