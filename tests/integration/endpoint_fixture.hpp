#pragma once

// Helpers for tests of the control endpoint: an endpoint on a private ipc
// socket, raw ZeroMQ sockets for frames the client class never sends, and
// bounded waits.

#include <atomic>
#include <chrono>
#include <memory>
#include <ostream>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "child_process.hpp"
#include "net/control_client.hpp"
#include "net/control_endpoint.hpp"
#include "net/control_protocol.hpp"

namespace corral {

/// Lets Boost.Test print error codes in failed checks.
inline std::ostream& boost_test_print_type(std::ostream& out, errc code) {
  return out << to_string(code);
}

} // namespace corral

namespace corral::testing {

using nlohmann::json;
using std::chrono::milliseconds;

/// Replies {"ok":true,"echo":request}.
inline json echo_handler(const json& request, control_request_context&) {
  auto reply = make_ok_reply();
  reply["echo"] = request;
  return reply;
}

/// An endpoint on an ipc socket in a private temporary directory.
struct endpoint_fixture {
  temp_directory directory;
  control_address address;
  std::unique_ptr<control_endpoint> endpoint;

  explicit endpoint_fixture(control_handler handler = echo_handler,
                            control_endpoint_config config = {}) {
    address.path = directory.path() + "/control.sock";
    config.address = address;
    config.node_id = "test";
    auto started = control_endpoint::start(config, std::move(handler));
    BOOST_TEST_REQUIRE(static_cast<bool>(started),
                       to_string(started.error()));
    endpoint = std::move(*started);
  }

  std::unique_ptr<control_client> connect() const {
    auto client = control_client::connect(address, {});
    BOOST_TEST_REQUIRE(static_cast<bool>(client), to_string(client.error()));
    return std::move(*client);
  }
};

/// A raw socket of any type connected to `endpoint`, for frames the client
/// class never sends.
inline zmq::socket_t raw_socket(zmq::context_t& context, const std::string& endpoint,
                         zmq::socket_type type = zmq::socket_type::dealer) {
  zmq::socket_t socket{context, type};
  socket.set(zmq::sockopt::linger, 0);
  socket.set(zmq::sockopt::rcvtimeo, 5000);
  socket.connect(endpoint);
  return socket;
}

inline json receive_json(zmq::socket_t& socket) {
  zmq::message_t frame;
  if (!socket.recv(frame))
    return "no reply within 5 s";
  return json::parse(frame.to_string(), nullptr, false);
}

inline std::string error_code_of(const json& reply) {
  if (!reply.is_object() || !reply.contains("error"))
    return "not an error reply: " + reply.dump();
  return reply["error"].value("code", "");
}

/// Waits up to 5 s for `flag`.
inline bool eventually(const std::atomic<bool>& flag) {
  for (int i = 0; i < 500 && !flag; ++i)
    std::this_thread::sleep_for(milliseconds{10});
  return flag;
}

} // namespace corral::testing
