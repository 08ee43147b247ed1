#include "net/control_reply_promise.hpp"

#include <vector>

#include "net/control_protocol.hpp"
#include "net/net_log.hpp"

namespace corral {

control_reply_promise::control_reply_promise(
  reply_address address, std::string op,
  std::shared_ptr<pending_replies> pending)
  : address_(std::move(address)), op_(std::move(op)),
    pending_(std::move(pending)) {
}

control_reply_promise::~control_reply_promise() {
  deliver(make_error_reply(
    {errc::internal_error, "the node dropped the request \"" + op_
                             + "\" without a reply; retry it"}));
}

bool control_reply_promise::deliver(nlohmann::json reply) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (delivered_)
      return false;
    delivered_ = true;
  }
  pending_->send(key_, address_, op_, std::move(reply));
  return true;
}

pending_replies::pending_replies(std::shared_ptr<control_outbox> outbox,
                                 std::string node_id)
  : outbox_(std::move(outbox)), node_id_(std::move(node_id)) {
}

std::shared_ptr<control_reply_promise>
pending_replies::open(reply_address address, std::string op) {
  auto promise = std::make_shared<control_reply_promise>(
    std::move(address), std::move(op), shared_from_this());
  std::lock_guard<std::mutex> guard{mutex_};
  promise->key_ = next_key_++;
  promises_.emplace(promise->key_, promise);
  return promise;
}

std::size_t pending_replies::size() const {
  std::lock_guard<std::mutex> guard{mutex_};
  return promises_.size();
}

void pending_replies::fail_all(const failure& error) {
  // Deliver outside the lock, because delivering removes the promise.
  std::vector<std::shared_ptr<control_reply_promise>> promises;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto& entry : promises_)
      if (auto promise = entry.second.lock())
        promises.push_back(std::move(promise));
  }
  for (auto& promise : promises)
    promise->deliver(make_error_reply(error));
}

void pending_replies::send(std::uint64_t key, const reply_address& address,
                           const std::string& op, nlohmann::json reply) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    promises_.erase(key);
  }
  if (!address.id.is_null())
    reply["id"] = address.id;
  log_failed_request(node_id_, op, reply);
  // After the endpoint stopped, the outbox is closed and drops the frame.
  outbox_->push(
    outgoing_frame{address.identity, address.delimiter, to_reply_text(reply), 0});
}

void log_failed_request(const std::string& node_id, const nlohmann::json& op,
                        const nlohmann::json& reply) {
  if (reply.value("ok", true))
    return;
  auto failed = reply_failure(reply);
  net_log(spdlog::level::debug, node_id,
          "control request " + to_frame_text(op) + " failed: "
            + (failed ? to_string(*failed) : std::string{"no detail"}));
}

} // namespace corral
