// Messaging commands: send (request-reply, or one-way with --cast) and
// publish.

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/exit_code.hpp"
#include "cli/file_input.hpp"
#include "cli/node_connection.hpp"
#include "cli/option_checks.hpp"
#include "serialization/base64.hpp"
#include "serialization/utf8.hpp"

namespace corral::cli {

namespace {

/// Time the node gets beyond the request timeout to return its reply.
constexpr std::chrono::milliseconds reply_margin{5000};

struct message_options {
  connection_options connection;
  std::string target;
  std::string topic;
  std::string payload;
  std::string payload_file;
  int timeout_ms = 5000;
  bool cast = false;
  bool json = false;
};

/// Adds the payload to `request`: as text when it is UTF-8, else base64.
int add_payload(const message_options& options, nlohmann::json& request) {
  std::string payload = options.payload;
  if (!options.payload_file.empty()) {
    if (!options.payload.empty()) {
      std::cerr << "corral: give PAYLOAD or --payload-file, not both\n";
      return exit_usage;
    }
    auto text = read_input_file(options.payload_file, "the payload file");
    if (!text) {
      std::cerr << "corral: " << text.error().detail << "\n";
      return exit_usage;
    }
    payload = std::move(*text);
  }
  if (is_valid_utf8(payload))
    request["payload"] = payload;
  else
    request["payload_base64"] = base64_encode(payload);
  return exit_ok;
}

/// Writes the reply's payload to stdout as the agent sent it.
int print_payload(const nlohmann::json& message) {
  if (message.contains("payload_base64")) {
    auto bytes = base64_decode(message["payload_base64"].get<std::string>());
    if (!bytes) {
      std::cerr << "corral: the reply payload is invalid base64: "
                << bytes.error().detail << "\n";
      return exit_failed;
    }
    std::cout << *bytes;
    return exit_ok;
  }
  std::cout << message.value("payload", std::string{}) << "\n";
  return exit_ok;
}

int run_send(const message_options& options) {
  nlohmann::json request = {{"op", options.cast ? "cast" : "send"},
                            {"target", options.target},
                            {"topic", options.topic}};
  if (auto code = add_payload(options, request); code != exit_ok)
    return code;

  auto timeout = reply_margin;
  if (!options.cast) {
    request["timeout_ms"] = options.timeout_ms;
    timeout += std::chrono::milliseconds{options.timeout_ms};
  }
  return call_node(options.connection, std::move(request), timeout,
                   [&](const nlohmann::json& reply) {
                     if (options.cast) {
                       if (options.json)
                         print_json({{"ok", true}});
                       return exit_ok;
                     }
                     if (options.json) {
                       print_json(reply.at("reply"));
                       return exit_ok;
                     }
                     return print_payload(reply.at("reply"));
                   });
}

int run_publish(const message_options& options) {
  nlohmann::json request = {{"op", "publish"}, {"topic", options.topic}};
  if (auto code = add_payload(options, request); code != exit_ok)
    return code;
  return call_node(options.connection, std::move(request), reply_margin,
                   [&](const nlohmann::json&) {
                     if (options.json)
                       print_json({{"ok", true}});
                     return exit_ok;
                   });
}

void add_payload_options(CLI::App& command, message_options& options) {
  command.add_option("PAYLOAD", options.payload, "Message payload (text)");
  command
    .add_option("--payload-file", options.payload_file,
                "Read the payload from a file, or - for stdin")
    ->check(non_empty("give a file, or - for stdin"));
  command.add_flag("--json", options.json, "Print the reply as JSON");
  add_connection_options(command, options.connection);
}

} // namespace

void add_message_commands(CLI::App& app, command_table& commands) {
  auto send = std::make_shared<message_options>();
  auto* send_command = app.add_subcommand(
    "send", "Send a request to an agent and print the reply payload");
  send_command
    ->add_option("TARGET", send->target,
                 "The agent: its agent_id, pid or global pid (node:pid)")
    ->required()
    ->check(non_empty("give an agent_id, a pid or a global pid"));
  send_command->add_option("TOPIC", send->topic, "Message topic")
    ->required()
    ->check(non_empty("give a topic name"));
  add_payload_options(*send_command, *send);
  send_command
    ->add_option("--timeout", send->timeout_ms,
                 "How long the agent has to reply, in ms")
    ->check(whole_number_in(1, 600'000))
    ->capture_default_str();
  send_command->add_flag("--cast", send->cast,
                         "Send one-way and do not wait for a reply");
  commands[send_command] = [send] { return run_send(*send); };

  auto publish = std::make_shared<message_options>();
  auto* publish_command = app.add_subcommand(
    "publish", "Send a message to every subscriber of a topic");
  publish_command->add_option("TOPIC", publish->topic, "Topic")
    ->required()
    ->check(non_empty("give a topic name"));
  add_payload_options(*publish_command, *publish);
  commands[publish_command] = [publish] { return run_publish(*publish); };
}

} // namespace corral::cli
