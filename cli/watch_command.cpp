// `corral watch`: streams state changes until Ctrl-C, --count or --timeout.

#include <csignal>
#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/exit_code.hpp"
#include "cli/node_connection.hpp"
#include "cli/option_checks.hpp"
#include "cli/process_format.hpp"
#include "net/control_protocol.hpp"
#include "serialization/json_forms.hpp"

namespace corral::cli {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

/// How often the loop looks at the interrupt flag and the deadline.
constexpr milliseconds poll_interval{200};

/// Silence after which the node counts as gone. The endpoint sends a
/// heartbeat on every stream each second.
constexpr milliseconds heartbeat_timeout{5000};

volatile std::sig_atomic_t interrupted = 0;

void on_interrupt(int) {
  interrupted = 1;
}

/// Installs on_interrupt for SIGINT and SIGTERM, without SA_RESTART.
void catch_interrupts() {
  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
}

struct watch_options {
  connection_options connection;
  /// Set when --count was given; 0 then means to print nothing.
  std::optional<std::uint64_t> count;
  int timeout_ms = 0;
  bool json = false;
};

/// Prints one state change; returns false when the frame is unreadable.
bool print_change(const watch_options& options, const nlohmann::json& frame) {
  const auto& change = frame.at("change");
  if (options.json) {
    std::cout << change.dump(-1, ' ', false,
                             nlohmann::json::error_handler_t::replace)
              << std::endl;
    return true;
  }
  auto parsed = from_json<state_change>(change);
  if (!parsed)
    return false;
  std::cout << describe_change(*parsed) << std::endl;
  return true;
}

int run_watch(const watch_options& options) {
  auto client = connect_to_node(options.connection);
  if (!client)
    return report_connect_failure(options.connection, client.error());
  auto reply = (*client)->exchange({{"op", "watch"}}, milliseconds{10'000});
  if (!reply)
    return report_failure(options.connection, reply.error());
  if (auto error = reply_failure(*reply))
    return report_node_error(options.connection, *error);
  auto stream = reply->value("stream", std::uint64_t{0});

  catch_interrupts();
  auto start = steady_clock::now();
  auto deadline = start + milliseconds{options.timeout_ms};
  auto last_frame = start;
  std::uint64_t printed = 0;
  int code = exit_ok;

  while (!interrupted) {
    if (options.count && printed >= *options.count)
      break;
    if (options.timeout_ms > 0 && steady_clock::now() >= deadline)
      break;

    auto frame = (*client)->next_stream_frame(stream, poll_interval);
    if (!frame) {
      if (frame.error().code != errc::timeout)
        return report_failure(options.connection, frame.error());
      if (steady_clock::now() - last_frame > heartbeat_timeout) {
        std::cerr << "corral: the node stopped sending heartbeats; it is "
                     "gone or stuck\n";
        return exit_unreachable;
      }
      continue;
    }
    last_frame = steady_clock::now();

    auto event = frame->value("event", std::string{});
    if (event == "end") {
      std::cerr << "corral: the node ended the watch: "
                << frame->value("reason", std::string{"no reason given"})
                << "\n";
      return exit_unreachable;
    }
    if (event != "state_change")
      continue;
    if (!print_change(options, *frame)) {
      std::cerr << "corral: the node sent an unreadable state change\n";
      code = exit_failed;
      break;
    }
    ++printed;
  }

  // Cancel so the node drops the stream now instead of at its next frame.
  (*client)->cancel_stream(stream, milliseconds{1000});
  return code;
}

} // namespace

void add_watch_command(CLI::App& app, command_table& commands) {
  auto options = std::make_shared<watch_options>();
  auto count = std::make_shared<std::uint64_t>(0);
  auto* command = app.add_subcommand(
    "watch", "Print agents' state changes as they happen, until Ctrl-C");
  auto* count_option
    = command
        ->add_option("--count", *count,
                     "Stop after this many state changes (default: no limit)")
        ->check(non_negative_integer());
  command
    ->add_option("--timeout", options->timeout_ms,
                 "Stop after this many milliseconds")
    ->check(CLI::PositiveNumber);
  command->add_flag("--json", options->json,
                    "Print each state change as one line of JSON");
  add_connection_options(*command, options->connection);
  commands[command] = [options, count, count_option] {
    if (count_option->count() > 0)
      options->count = *count;
    return run_watch(*options);
  };
}

} // namespace corral::cli
