#include "net/zap_handler.hpp"

#include <vector>

#include "net/curve_keys.hpp"
#include "net/net_log.hpp"

namespace corral {

namespace {

/// Requests answered per poll round, so that a flood of connection
/// attempts cannot starve the transport's other work.
constexpr int max_requests_per_round = 64;

/// Parts kept of one request; a request has 7 (version, request id,
/// domain, address, routing id, mechanism, key) and longer ones are
/// drained without storing them.
constexpr std::size_t max_request_parts = 8;

/// Time between two log lines about the same refused key.
constexpr std::chrono::minutes refusal_log_interval{1};

/// Refused keys remembered for rate limiting. Beyond, keys not logged
/// within the interval are forgotten, and lines about new keys are
/// suppressed until room is free.
constexpr std::size_t max_remembered_refusals = 1024;

/// Z85 characters of a refused key shown in the log: enough to tell keys
/// apart, short enough to make clear that the line is no key list.
constexpr std::size_t logged_key_characters = 8;

std::string to_text(const zmq::message_t& part) {
  return std::string{static_cast<const char*>(part.data()), part.size()};
}

} // namespace

zap_handler::zap_handler(zmq::context_t& context, std::string node_id,
                         const std::map<std::string, std::string>& peer_keys)
  : node_id_(std::move(node_id)), socket_(context, zmq::socket_type::rep) {
  for (const auto& [id, key] : peer_keys)
    allowed_[decode_curve_key(key)] = id;
  socket_.set(zmq::sockopt::linger, 0);
  socket_.bind("inproc://zeromq.zap.01");
}

std::uint64_t
zap_handler::answer_requests(std::chrono::steady_clock::time_point now) {
  std::uint64_t refused = 0;
  for (int i = 0; i < max_requests_per_round; ++i) {
    if (!(socket_.get(zmq::sockopt::events) & ZMQ_POLLIN))
      break;
    refused += answer_one(now);
  }
  return refused;
}

std::uint64_t zap_handler::answer_one(std::chrono::steady_clock::time_point now) {
  std::vector<zmq::message_t> parts;
  bool more = true;
  while (more) {
    zmq::message_t part;
    // All parts of a message arrive together, so this never waits.
    if (!socket_.recv(part, zmq::recv_flags::dontwait))
      return 0;
    more = part.more();
    if (parts.size() < max_request_parts)
      parts.push_back(std::move(part));
  }

  std::string request_id = parts.size() > 1 ? to_text(parts[1]) : "";
  std::string address = parts.size() > 3 ? to_text(parts[3]) : "unknown";
  std::string status = "400";
  std::string status_text = "public key not allowed";
  std::string user_id;
  if (parts.size() != 7 || to_text(parts[0]) != "1.0") {
    status = "500";
    status_text = "malformed ZAP request";
    net_log(spdlog::level::err, node_id_,
            "malformed ZAP request with " + std::to_string(parts.size())
              + " parts; the connection from " + address + " is refused");
  } else if (to_text(parts[5]) != "CURVE") {
    log_refusal({}, address, "it uses the " + to_text(parts[5])
                               + " mechanism instead of CURVE", now);
  } else {
    auto key = to_text(parts[6]);
    auto found = allowed_.find(key);
    if (found != allowed_.end()) {
      status = "200";
      status_text = "OK";
      user_id = found->second;
    } else {
      log_refusal(key, address, "its public key is not in the peer keys "
                                "of this node", now);
    }
  }

  socket_.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(request_id), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(status), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(status_text), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(user_id), zmq::send_flags::sndmore);
  socket_.send(zmq::message_t{}, zmq::send_flags::none);
  return status == "200" ? 0 : 1;
}

void zap_handler::log_refusal(const std::string& key,
                              const std::string& address,
                              const std::string& why,
                              std::chrono::steady_clock::time_point now) {
  auto found = refusals_.find(key);
  if (found == refusals_.end()) {
    if (refusals_.size() >= max_remembered_refusals)
      for (auto it = refusals_.begin(); it != refusals_.end();)
        it = now - it->second.last >= refusal_log_interval
               ? refusals_.erase(it)
               : std::next(it);
    if (refusals_.size() >= max_remembered_refusals)
      return;
    found = refusals_.emplace(key, refusal_log{}).first;
  } else if (now - found->second.last < refusal_log_interval) {
    ++found->second.suppressed;
    return;
  }

  auto text = encode_curve_key(key);
  std::string shown = text.empty() ? "(none)"
                                   : text.substr(0, logged_key_characters)
                                       + "...";
  std::string repeats;
  if (found->second.suppressed > 0)
    repeats = " (" + std::to_string(found->second.suppressed)
              + " more refusals of this key in the last minute)";
  net_log(spdlog::level::warn, node_id_,
          "refused a Curve client from " + address + " with public key "
            + shown + " because " + why + repeats
            + "; add its key with --peer-key NODE_ID=KEY if it belongs to "
              "the cluster");
  found->second.last = now;
  found->second.suppressed = 0;
}

} // namespace corral
