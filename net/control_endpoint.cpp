#include "net/control_endpoint.hpp"

#include <cerrno>
#include <vector>

#include "net/accept_guard.hpp"
#include "net/control_protocol.hpp"
#include "net/net_log.hpp"

namespace corral {

namespace {

/// Messages read per poll round before the outbox is flushed again, so that
/// a flood of requests cannot starve replies and stream frames.
constexpr int max_requests_per_round = 64;

std::string make_wakeup_endpoint() {
  static std::atomic<std::uint64_t> next{1};
  return "inproc://corral-control-wakeup-" + std::to_string(next++);
}

zmq::socket_t bind_wakeup_receiver(zmq::context_t& context,
                                   const std::string& endpoint) {
  zmq::socket_t socket{context, zmq::socket_type::pair};
  socket.set(zmq::sockopt::linger, 0);
  socket.bind(endpoint);
  return socket;
}

} // namespace

/// Counters written by several threads.
struct control_endpoint::atomic_counters {
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> malformed_json{0};
  std::atomic<std::uint64_t> oversized_frames{0};
  std::atomic<std::uint64_t> bad_frame_counts{0};
  std::atomic<std::uint64_t> rejected_tokens{0};
  std::atomic<std::uint64_t> busy_rejections{0};
  std::atomic<std::uint64_t> handler_exceptions{0};
  std::atomic<std::uint64_t> undeliverable_frames{0};
  std::atomic<std::uint64_t> streams_opened{0};
  std::atomic<std::uint64_t> streams_dropped{0};
};

nlohmann::json to_json(const control_endpoint_counters& x) {
  return {{"requests", x.requests},
          {"malformed_json", x.malformed_json},
          {"oversized_frames", x.oversized_frames},
          {"bad_frame_counts", x.bad_frame_counts},
          {"rejected_tokens", x.rejected_tokens},
          {"busy_rejections", x.busy_rejections},
          {"handler_exceptions", x.handler_exceptions},
          {"undeliverable_frames", x.undeliverable_frames},
          {"streams_opened", x.streams_opened},
          {"streams_dropped", x.streams_dropped},
          {"deferred_replies", x.deferred_replies},
          {"connections_refused", x.connections_refused}};
}

// -- starting and stopping ---------------------------------------------------

control_endpoint::control_endpoint(control_endpoint_config config,
                                   control_handler handler)
  : config_(std::move(config)),
    handler_(std::move(handler)),
    wakeup_endpoint_(make_wakeup_endpoint()),
    context_(1),
    router_(context_, zmq::socket_type::router),
    wakeup_receiver_(bind_wakeup_receiver(context_, wakeup_endpoint_)),
    outbox_(std::make_shared<control_outbox>(context_, wakeup_endpoint_)),
    replies_(std::make_shared<pending_replies>(outbox_, config_.node_id)),
    streams_(outbox_),
    counters_(std::make_unique<atomic_counters>()) {
}

result<std::unique_ptr<control_endpoint>>
control_endpoint::start(control_endpoint_config config,
                        control_handler handler) {
  if (config.address.transport == control_transport::tcp
      && config.token.empty())
    return failure{errc::invalid_request,
                   "a tcp control endpoint requires a token"};

  std::unique_ptr<control_endpoint> endpoint;
  try {
    endpoint.reset(new control_endpoint(std::move(config), std::move(handler)));
  } catch (const zmq::error_t& e) {
    return failure{errc::internal_error,
                   std::string{"cannot create the control sockets: "}
                     + e.what()};
  }
  prepare_accept_guard();
  if (auto error = endpoint->bind())
    return *error;
  if (auto error = endpoint->start_monitor())
    return *error;
  endpoint->check_file_descriptors(true);

  endpoint->handlers_ = std::make_unique<handler_pool>(
    endpoint->config_.handler_threads, endpoint->config_.max_pending_requests);
  endpoint->next_heartbeat_ = std::chrono::steady_clock::now()
                              + endpoint->config_.heartbeat_interval;
  endpoint->io_thread_ = std::thread{[ptr = endpoint.get()] { ptr->run(); }};
  net_log(spdlog::level::info, endpoint->config_.node_id,
          "control endpoint listening on " + endpoint->bound_endpoint_);
  return endpoint;
}

control_endpoint::~control_endpoint() {
  // Handlers finish first, while the I/O thread still sends their replies.
  // Then every stream ends, including streams opened by those handlers,
  // so each close callback has run before the owner tears down what the
  // callbacks refer to.
  accepting_ = false;
  if (handlers_)
    handlers_->stop();
  replies_->fail_all({errc::node_unreachable, "the node is stopping"});
  streams_.close_all("the node is stopping");

  stopping_ = true;
  outbox_->wake();
  if (io_thread_.joinable())
    io_thread_.join();
  outbox_->close();
  router_.close();
  remove_socket_file();
  if (!bound_endpoint_.empty())
    net_log(spdlog::level::info, config_.node_id,
            "control endpoint on " + bound_endpoint_ + " stopped");
}

control_endpoint_counters control_endpoint::counters() const {
  control_endpoint_counters x;
  x.requests = counters_->requests;
  x.malformed_json = counters_->malformed_json;
  x.oversized_frames = counters_->oversized_frames;
  x.bad_frame_counts = counters_->bad_frame_counts;
  x.rejected_tokens = counters_->rejected_tokens;
  x.busy_rejections = counters_->busy_rejections;
  x.handler_exceptions = counters_->handler_exceptions;
  x.undeliverable_frames = counters_->undeliverable_frames;
  x.streams_opened = counters_->streams_opened;
  x.streams_dropped = counters_->streams_dropped;
  x.deferred_replies = replies_->size();
  x.connections_refused = connections_closed_by_accept_guard();
  return x;
}

// -- the I/O thread ----------------------------------------------------------

void control_endpoint::run() {
  // An error in one round is logged and the loop goes on, so that no input
  // can stop the endpoint; the count keeps a repeating error from flooding
  // the log.
  std::uint64_t errors = 0;
  while (!stopping_) {
    try {
      poll_once();
    } catch (const zmq::error_t& e) {
      if (e.num() == ETERM)
        break;
      log_repeated("control endpoint I/O error", ++errors, e.what());
    } catch (const std::exception& e) {
      log_repeated("control endpoint error", ++errors, e.what());
    }
  }

  // Send the end frames that the destructor queued.
  try {
    flush_outbox();
  } catch (const std::exception& e) {
    net_log(spdlog::level::warn, config_.node_id,
            std::string{"control endpoint could not flush at stop: "}
              + e.what());
  }
}

void control_endpoint::poll_once() {
  auto now = std::chrono::steady_clock::now();
  auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
    next_heartbeat_ - now);
  if (wait.count() < 0)
    wait = std::chrono::milliseconds{0};

  zmq::pollitem_t items[] = {
    {router_.handle(), 0, ZMQ_POLLIN, 0},
    {wakeup_receiver_.handle(), 0, ZMQ_POLLIN, 0},
    {monitor_.handle(), 0, ZMQ_POLLIN, 0},
  };
  zmq::poll(items, 3, wait);

  if (items[2].revents & ZMQ_POLLIN)
    read_monitor_events();
  if (items[0].revents & ZMQ_POLLIN)
    receive_requests();
  if (items[1].revents & ZMQ_POLLIN) {
    zmq::message_t ignored;
    while (wakeup_receiver_.recv(ignored, zmq::recv_flags::dontwait))
      ;
  }
  flush_outbox();

  if (std::chrono::steady_clock::now() >= next_heartbeat_) {
    // Agents and other threads open descriptors too, so count them anew
    // with every heartbeat.
    check_file_descriptors(true);
    send_heartbeats();
    next_heartbeat_ = std::chrono::steady_clock::now()
                      + config_.heartbeat_interval;
  }
}

void control_endpoint::receive_requests() {
  // Tcp endpoints check the token; ipc ones rely on the socket's mode.
  std::string token = config_.address.transport == control_transport::tcp
                        ? config_.token
                        : std::string{};
  for (int i = 0; i < max_requests_per_round; ++i) {
    auto envelope = receive_request(router_, token);
    if (!envelope)
      return;
    accept(std::move(*envelope));
  }
}

// -- checking and dispatching requests ---------------------------------------

void control_endpoint::accept(request_envelope envelope) {
  if (envelope.error != envelope_error::none) {
    reject(envelope);
    return;
  }
  auto op = envelope.request.find("op");
  if (op != envelope.request.end() && op->is_string()
      && op->get<std::string>() == "cancel")
    cancel_stream(envelope.request, envelope.identity, envelope.delimiter);
  else
    dispatch(std::move(envelope.request), std::move(envelope.identity),
             envelope.delimiter);
}

void control_endpoint::reject(const request_envelope& envelope) {
  std::uint64_t count = 0;
  const char* event = "";
  auto code = errc::invalid_request;
  switch (envelope.error) {
    case envelope_error::bad_frame_count:
      count = ++counters_->bad_frame_counts;
      event = "rejected a request with the wrong frame count";
      break;
    case envelope_error::oversized:
      count = ++counters_->oversized_frames;
      event = "rejected an oversized request";
      break;
    case envelope_error::malformed_json:
      count = ++counters_->malformed_json;
      event = "rejected a malformed request";
      break;
    case envelope_error::invalid_token:
    default:
      count = ++counters_->rejected_tokens;
      event = "rejected a request without a valid token";
      code = errc::capability_denied;
      break;
  }
  log_repeated(event, count, envelope.detail);

  auto reply = make_error_reply({code, envelope.detail});
  if (envelope.request.is_object() && envelope.request.contains("id"))
    reply["id"] = envelope.request["id"];
  reply_now(envelope.identity, envelope.delimiter, reply);
}

void control_endpoint::dispatch(nlohmann::json request, std::string identity,
                                bool delimiter) {
  ++counters_->requests;
  // The job takes the request, so keep its id for a refusal.
  reply_address address{std::move(identity), delimiter,
                        request.contains("id") ? request["id"]
                                               : nlohmann::json{}};
  auto reply_error = [&](const failure& error) {
    auto reply = make_error_reply(error);
    if (!address.id.is_null())
      reply["id"] = address.id;
    reply_now(address.identity, address.delimiter, reply);
  };
  if (!accepting_) {
    reply_error({errc::node_unreachable, "the node is stopping"});
    return;
  }
  if (low_on_fds_) {
    auto count = ++counters_->busy_rejections;
    auto error = out_of_descriptors();
    log_repeated("rejected a request while low on file descriptors", count,
                 error.detail);
    reply_error(error);
    return;
  }
  if (replies_->size() >= config_.max_deferred_replies) {
    auto count = ++counters_->busy_rejections;
    auto detail = "the control endpoint waits for "
                  + std::to_string(config_.max_deferred_replies)
                  + " replies of slow requests; retry later";
    log_repeated("rejected a request while busy", count, detail);
    reply_error({errc::resource_limit_exceeded, detail});
    return;
  }

  auto job = [this, request = std::move(request), address]() mutable {
    handle(request, std::move(address));
  };
  if (!handlers_->try_submit(std::move(job))) {
    auto count = ++counters_->busy_rejections;
    auto detail = "the control endpoint has "
                  + std::to_string(config_.max_pending_requests)
                  + " requests waiting; retry later";
    log_repeated("rejected a request while busy", count, detail);
    reply_error({errc::resource_limit_exceeded, detail});
  }
}

void control_endpoint::handle(const nlohmann::json& request,
                              reply_address address) {
  auto op = request.value("op", nlohmann::json{});
  control_request_context context{streams_, replies_, address,
                                  op.is_string() ? op.get<std::string>()
                                                 : std::string{}};
  auto reply = call_handler(request, context);

  // A promised reply comes later, unless the handler failed after all.
  if (auto& promise = context.promise()) {
    if (!reply.value("ok", false))
      promise->deliver(std::move(reply));
    return;
  }

  if (!address.id.is_null())
    reply["id"] = address.id;
  log_failed_request(config_.node_id, op, reply);
  outgoing_frame frame;
  frame.identity = std::move(address.identity);
  frame.delimiter = address.delimiter;
  auto& stream = context.stream();
  if (!stream) {
    frame.body = to_reply_text(reply);
    outbox_->push(std::move(frame));
    return;
  }
  if (reply.value("ok", false)) {
    ++counters_->streams_opened;
    reply["stream"] = stream->id();
    frame.body = to_reply_text(reply);
    stream->activate(std::move(frame));
  } else {
    stream->drop();
    frame.body = to_reply_text(reply);
    outbox_->push(std::move(frame));
  }
}

nlohmann::json
control_endpoint::call_handler(const nlohmann::json& request,
                               control_request_context& context) {
  // No exception may leave a handler thread: each one becomes an error
  // reply instead.
  try {
    auto reply = handler_(request, context);
    if (reply.is_object() && reply.contains("ok") && reply["ok"].is_boolean())
      return reply;
    return make_error_reply(
      {errc::internal_error, "the handler returned a reply without \"ok\""});
  } catch (const std::exception& e) {
    auto count = ++counters_->handler_exceptions;
    log_repeated("a request handler threw", count, e.what());
    return make_error_reply(
      {errc::internal_error, std::string{"the request failed: "} + e.what()});
  } catch (...) {
    auto count = ++counters_->handler_exceptions;
    log_repeated("a request handler threw", count, "unknown exception");
    return make_error_reply({errc::internal_error, "the request failed"});
  }
}

void control_endpoint::cancel_stream(const nlohmann::json& request,
                                     const std::string& identity,
                                     bool delimiter) {
  auto id = request.find("stream");
  nlohmann::json reply;
  if (id == request.end() || !id->is_number_unsigned()) {
    reply = make_error_reply({errc::invalid_request,
                              "request.stream: expected the unsigned id of "
                              "a stream to cancel"});
  } else {
    auto stream = streams_.find(id->get<std::uint64_t>());
    if (stream && stream->identity() == identity) {
      stream->close("cancelled by the client");
      reply = make_ok_reply();
    } else {
      reply = make_error_reply(
        {errc::invalid_request, "request.stream: this client has no open "
                                "stream "
                                  + std::to_string(id->get<std::uint64_t>())});
    }
  }
  if (request.contains("id"))
    reply["id"] = request["id"];

  // Through the outbox, so that the reply follows the stream's end frame.
  outgoing_frame frame{identity, delimiter, to_reply_text(reply), 0};
  outbox_->push(std::move(frame));
}

// -- sending -----------------------------------------------------------------

void control_endpoint::reply_now(const std::string& identity, bool delimiter,
                                 const nlohmann::json& reply) {
  send_frame(outgoing_frame{identity, delimiter, to_reply_text(reply), 0});
}

void control_endpoint::flush_outbox() {
  for (auto& frame : outbox_->take())
    send_frame(frame);
}

bool control_endpoint::send_frame(const outgoing_frame& frame) {
  bool sent = false;
  try {
    // With ZMQ_ROUTER_MANDATORY the first part fails with EHOSTUNREACH
    // when the client has gone, and returns EAGAIN (an empty result) when
    // its queue is full. Once the first part is accepted, the rest is.
    auto flags = zmq::send_flags::sndmore | zmq::send_flags::dontwait;
    if (router_.send(zmq::buffer(frame.identity), flags)) {
      if (frame.delimiter)
        router_.send(zmq::const_buffer{}, flags);
      router_.send(zmq::buffer(frame.body), zmq::send_flags::dontwait);
      sent = true;
    }
  } catch (const zmq::error_t& e) {
    if (e.num() != EHOSTUNREACH)
      throw;
  }
  if (sent)
    return true;

  auto count = ++counters_->undeliverable_frames;
  if (frame.stream == 0) {
    log_repeated("dropped a reply because its client has gone or fell behind",
                 count, "");
    return false;
  }
  if (auto stream = streams_.find(frame.stream)) {
    ++counters_->streams_dropped;
    net_log(spdlog::level::info, config_.node_id,
            "dropped stream " + std::to_string(frame.stream)
              + " because its client has gone or fell behind");
    stream->drop();
  }
  return false;
}

void control_endpoint::send_heartbeats() {
  for (auto& stream : streams_.prune())
    stream->post({{"event", "heartbeat"}});
}

void control_endpoint::log_repeated(const char* event, std::uint64_t count,
                                    const std::string& detail) const {
  if (!should_log_repeat(count))
    return;
  auto text = std::string{event} + " (" + std::to_string(count) + " so far)";
  if (!detail.empty())
    text += ": " + detail;
  net_log(spdlog::level::warn, config_.node_id, text);
}

} // namespace corral
