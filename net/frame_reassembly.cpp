#include "net/frame_reassembly.hpp"

#include <algorithm>

namespace corral {

namespace {

/// Dropped messages remembered per peer, so that their later chunks are
/// ignored quietly instead of counted as invalid one by one.
constexpr std::size_t max_discarded_per_peer = 64;

} // namespace

frame_reassembly::frame_reassembly(std::size_t max_bytes_per_peer)
  : max_bytes_per_peer_(max_bytes_per_peer) {
}

frame_reassembly::outcome
frame_reassembly::add(const std::string& peer, const frame_header& header,
                      std::string_view chunk, std::string& body) {
  auto& state = peers_[peer];
  message_key key{header.lane, header.message_id};

  auto found = state.partials.find(key);
  if (found == state.partials.end()) {
    if (header.chunk_index != 0)
      return state.discarded.count(key) != 0 ? outcome::discarded
                                             : outcome::invalid_chunk;
    found = state.partials.emplace(key, partial{}).first;
    found->second.kind = header.kind;
    found->second.chunk_count = header.chunk_count;
    // Every chunk but the last has the size of the first. Reserving the
    // whole message now means no later chunk moves the bytes before it:
    // growing by doubling copied up to half of a 64 MiB message in one
    // step, during which the I/O thread read no heartbeat. The reservation
    // is capped by the peer's bound, and its pages are only touched as
    // chunks arrive.
    auto expected = static_cast<std::size_t>(header.chunk_count) * chunk.size();
    auto room = max_bytes_per_peer_ > state.bytes
                  ? max_bytes_per_peer_ - state.bytes
                  : std::size_t{0};
    found->second.body.reserve(std::min(expected, room));
  }

  auto& message = found->second;
  if (header.chunk_index != message.next_index
      || header.chunk_count != message.chunk_count
      || header.kind != message.kind) {
    discard(state, key);
    return outcome::invalid_chunk;
  }
  if (state.bytes + chunk.size() > max_bytes_per_peer_) {
    discard(state, key);
    return outcome::overflow;
  }

  state.bytes += chunk.size();
  message.body += chunk;
  ++message.next_index;
  if (message.next_index < message.chunk_count)
    return outcome::pending;

  state.bytes -= message.body.size();
  body = std::move(message.body);
  state.partials.erase(found);
  return outcome::complete;
}

void frame_reassembly::discard(peer_state& state, const message_key& key) {
  auto found = state.partials.find(key);
  if (found != state.partials.end()) {
    state.bytes -= found->second.body.size();
    state.partials.erase(found);
  }
  state.discarded.insert(key);
  if (state.discarded.size() > max_discarded_per_peer)
    state.discarded.erase(state.discarded.begin());
}

void frame_reassembly::forget(const std::string& peer) {
  peers_.erase(peer);
}

std::size_t frame_reassembly::bytes_kept(const std::string& peer) const {
  auto found = peers_.find(peer);
  return found == peers_.end() ? 0 : found->second.bytes;
}

} // namespace corral
