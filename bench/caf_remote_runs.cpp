#include "bench/caf_remote_runs.hpp"

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/detail/scope_guard.hpp>
#include <caf/io/all.hpp>

#include "bench/cluster_measure.hpp"

namespace corral::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using ack_atom = caf::atom_constant<caf::atom("ack")>;

/// Messages acknowledged at once by the sink; a tenth of the window, so
/// that the sender rarely waits.
constexpr std::size_t ack_every = caf_send_window / 10;

/// Two actor systems with a middleman each, as two nodes would have.
struct system_pair {
  caf::actor_system_config server_config;
  caf::actor_system_config client_config;
  std::unique_ptr<caf::actor_system> server;
  std::unique_ptr<caf::actor_system> client;

  system_pair() {
    server_config.load<caf::io::middleman>();
    client_config.load<caf::io::middleman>();
    server = std::make_unique<caf::actor_system>(server_config);
    client = std::make_unique<caf::actor_system>(client_config);
  }

  /// Publishes `actor` on the server and returns the client's proxy of it.
  caf::actor connect(const caf::actor& actor) {
    auto port = server->middleman().publish(actor, 0, "127.0.0.1");
    if (!port)
      throw std::runtime_error("CAF publish on 127.0.0.1 failed: "
                               + server->render(port.error()));
    auto remote = client->middleman().remote_actor("127.0.0.1", *port);
    if (!remote)
      throw std::runtime_error("CAF remote_actor to 127.0.0.1 failed: "
                               + client->render(remote.error()));
    return *remote;
  }
};

caf::behavior counting_sink(caf::event_based_actor* self,
                            std::atomic<std::uint64_t>* received) {
  return {[=](const std::string&) {
    auto count = received->fetch_add(1, std::memory_order_relaxed) + 1;
    if (count % ack_every == 0)
      self->send(caf::actor_cast<caf::actor>(self->current_sender()),
                 ack_atom::value);
  }};
}

caf::behavior windowed_source(caf::event_based_actor* self, caf::actor sink,
                              std::string body) {
  for (std::size_t i = 0; i < caf_send_window; ++i)
    self->send(sink, body);
  return {[=](ack_atom) {
    for (std::size_t i = 0; i < ack_every; ++i)
      self->send(sink, body);
  }};
}

caf::behavior string_echo() {
  return {[](const std::string& body) { return body; }};
}

} // namespace

double caf_basp_messages_per_s(std::size_t message_bytes,
                               const cluster_workload& work) {
  std::atomic<std::uint64_t> received{0};
  system_pair systems;
  auto sink = systems.server->spawn(counting_sink, &received);
  auto remote_sink = systems.connect(sink);
  auto source = systems.client->spawn(windowed_source, remote_sink,
                                      std::string(message_bytes, 'x'));

  // Stopped also when no message arrived, else the systems never finish.
  auto stop_actors = caf::detail::make_scope_guard([&] {
    caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  });
  return count_rate(received, work, "CAF BASP");
}

latency_figures caf_basp_round_trip(const cluster_workload& work) {
  system_pair systems;
  auto echo = systems.server->spawn(string_echo);
  auto remote_echo = systems.connect(echo);
  auto stop_echo = caf::detail::make_scope_guard(
    [&] { caf::anon_send_exit(echo, caf::exit_reason::user_shutdown); });

  const std::string body(64, 'x');
  std::string failure_text;
  caf::scoped_actor self{*systems.client};
  return time_round_trips(work, [&] {
    self->request(remote_echo, std::chrono::seconds{5}, body)
      .receive([](const std::string&) {},
               [&](caf::error& error) {
                 failure_text = systems.client->render(error);
               });
    if (!failure_text.empty())
      throw std::runtime_error("CAF BASP request failed: " + failure_text);
  });
}

} // namespace corral::bench
