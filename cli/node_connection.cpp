#include "cli/node_connection.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <vector>

#include "cli/exit_code.hpp"
#include "cli/file_input.hpp"
#include "cli/option_checks.hpp"
#include "net/control_protocol.hpp"

namespace corral::cli {

void add_connection_options(CLI::App& command, connection_options& options) {
  command
    .add_option("--control", options.control,
                "Control address of the node: a socket path, ipc://PATH or "
                "tcp://127.0.0.1:PORT (default: the socket of --node)")
    ->envname("CORRAL_CONTROL")
    ->check(non_empty("give an address, or leave --control out to use "
                      "the socket of --node"));
  command
    .add_option("--node", options.node_id,
                "Id of the node to talk to; selects its default socket path")
    ->envname("CORRAL_NODE")
    ->capture_default_str();
  command
    .add_option("--token-file", options.token_file,
                "File holding the token of a tcp control address "
                "(default: $CORRAL_CONTROL_TOKEN, else the file the node "
                "wrote)")
    ->check(non_empty("give a file, or leave --token-file out to use "
                      "$CORRAL_CONTROL_TOKEN or the node's token file"));
  command
    .add_option("--connect-timeout", options.connect_timeout_ms,
                "How long sending a request to the node may block, in ms")
    ->check(whole_number_in(1, 600'000))
    ->capture_default_str();
}

result<control_address>
resolve_control_address(const connection_options& options) {
  if (!options.control.empty())
    return parse_control_address(options.control);
  return default_control_address(options.node_id);
}

result<std::string> default_token_path(const std::string& node_id) {
  auto socket_path = default_control_path(node_id);
  if (!socket_path)
    return socket_path.error();
  auto directory = socket_path->substr(0, socket_path->rfind('/'));
  return directory + "/" + node_id + ".token";
}

result<std::string> read_token_file(const std::string& path) {
  auto text = read_input_file(path, "the token file");
  if (!text)
    return text.error();
  auto token = text->substr(0, text->find('\n'));
  while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty())
    return failure{errc::invalid_request,
                   "the token file \"" + path + "\" is empty"};
  return token;
}

namespace {

const char* token_from_environment() {
  const char* token = std::getenv("CORRAL_CONTROL_TOKEN");
  return token != nullptr && *token != '\0' ? token : nullptr;
}

result<std::string> find_token(const connection_options& options) {
  if (!options.token_file.empty())
    return read_token_file(options.token_file);
  if (const char* token = token_from_environment())
    return std::string{token};
  auto path = default_token_path(options.node_id);
  if (!path)
    return path.error();
  return read_token_file(*path);
}

/// True when `error` is the endpoint's rejection of a missing or wrong
/// token. Agents' capability checks fail with the same code, but their
/// details never name the "token" field.
bool is_token_rejection(const failure& error) {
  return error.code == errc::capability_denied
         && error.detail.find("\"token\"") != std::string::npos;
}

} // namespace

std::string describe_token_source(const connection_options& options) {
  if (!options.token_file.empty())
    return "--token-file " + options.token_file;
  if (token_from_environment() != nullptr)
    return "$CORRAL_CONTROL_TOKEN";
  auto path = default_token_path(options.node_id);
  if (!path)
    return "the token file of node " + options.node_id;
  return *path + ", the file that node " + options.node_id + " writes";
}

result<std::unique_ptr<control_client>>
connect_to_node(const connection_options& options) {
  auto address = resolve_control_address(options);
  if (!address)
    return address.error();

  control_client_options client_options;
  client_options.connect_timeout
    = std::chrono::milliseconds{options.connect_timeout_ms};
  if (address->transport == control_transport::tcp) {
    auto token = find_token(options);
    if (!token)
      return token.error();
    client_options.token = *token;
  }
  return control_client::connect(*address, std::move(client_options));
}

namespace {

// Returns the ids of the other nodes whose default control sockets sit
// next to `node_id`'s, sorted, so that a command aimed at the wrong node
// can name the right ones. Stale sockets of stopped nodes count too.
std::vector<std::string> nodes_with_sockets(const std::string& node_id) {
  std::vector<std::string> ids;
  auto own = default_control_path(node_id);
  if (!own)
    return ids;
  std::filesystem::path directory
    = std::filesystem::path{*own}.parent_path();
  std::error_code error;
  std::filesystem::directory_iterator entries{directory, error};
  if (error)
    return ids;
  for (const auto& entry : entries) {
    const auto& path = entry.path();
    if (path.extension() != ".sock" || !entry.is_socket(error))
      continue;
    auto id = path.stem().string();
    if (id != node_id)
      ids.push_back(id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

} // namespace

std::string unreachable_message(const connection_options& options,
                                const failure& error) {
  std::string start = "corral node --id " + options.node_id;
  if (!options.control.empty())
    start += " --control " + options.control;
  auto message = "cannot reach a node: " + error.detail;
  if (options.control.empty()) {
    auto others = nodes_with_sockets(options.node_id);
    if (!others.empty()) {
      std::string list;
      for (const auto& id : others)
        list += (list.empty() ? "" : ", ") + id;
      return message + "; control sockets of other nodes are here (" + list
             + "), so pass --node " + others.front()
             + " to talk to one, or start node " + options.node_id
             + " with: " + start;
    }
  }
  return message + "; start one with: " + start;
}

int report_failure(const connection_options&, const failure& error) {
  // The connect probe found the node listening, so advice to start one
  // would mislead: a node that stops replying is busy, paused or stopping.
  if (error.code == errc::node_unreachable)
    std::cerr << "corral: " << error.detail
              << "; the node was listening when this command connected, so "
                 "it may be busy, paused or stopping: check its log, then "
                 "retry\n";
  else
    std::cerr << "corral: " << to_string(error) << "\n";
  return exit_code_for(error);
}

int report_node_error(const connection_options& options,
                      const failure& error) {
  std::cerr << "corral: " << to_string(error);
  if (is_token_rejection(error))
    std::cerr << "; the token was read from " << describe_token_source(options)
              << ", so check that it matches the node's --token-file or "
                 "$CORRAL_CONTROL_TOKEN";
  std::cerr << "\n";
  return exit_failed;
}

int report_connect_failure(const connection_options& options,
                           const failure& error) {
  // Before anything is sent, invalid_request can only come from the
  // options: the address or the token file.
  if (error.code == errc::invalid_request) {
    std::cerr << "corral: " << error.detail << "\n";
    return exit_usage;
  }
  if (error.code == errc::node_unreachable)
    std::cerr << "corral: " << unreachable_message(options, error) << "\n";
  else
    std::cerr << "corral: " << to_string(error) << "\n";
  return exit_code_for(error);
}

int call_node(const connection_options& options, nlohmann::json request,
              std::chrono::milliseconds timeout,
              const std::function<int(const nlohmann::json&)>& on_reply) {
  auto client = connect_to_node(options);
  if (!client)
    return report_connect_failure(options, client.error());
  auto reply = (*client)->exchange(std::move(request), timeout);
  if (!reply)
    return report_failure(options, reply.error());
  if (auto error = reply_failure(*reply))
    return report_node_error(options, *error);
  return on_reply(*reply);
}

} // namespace corral::cli
