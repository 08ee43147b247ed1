#include "cli/node_connection.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>

#include "cli/exit_code.hpp"

namespace corral::cli {

void add_connection_options(CLI::App& command, connection_options& options) {
  command
    .add_option("--control", options.control,
                "Control address of the node: a socket path, ipc://PATH or "
                "tcp://127.0.0.1:PORT (default: the socket of --node)")
    ->envname("CORRAL_CONTROL");
  command
    .add_option("--node", options.node_id,
                "Id of the node to talk to; selects its default socket path")
    ->envname("CORRAL_NODE")
    ->capture_default_str();
  command.add_option("--token-file", options.token_file,
                     "File holding the token of a tcp control address "
                     "(default: $CORRAL_CONTROL_TOKEN, else the file the "
                     "node wrote)");
  command
    .add_option("--connect-timeout", options.connect_timeout_ms,
                "How long sending a request to the node may block, in ms")
    ->check(CLI::Range(1, 600'000))
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
  std::ifstream in{path};
  std::string token;
  if (!in || !std::getline(in, token))
    return failure{errc::invalid_request,
                   "cannot read a token from \"" + path + "\""};
  while (!token.empty() && (token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty())
    return failure{errc::invalid_request,
                   "the token file \"" + path + "\" is empty"};
  return token;
}

namespace {

result<std::string> find_token(const connection_options& options) {
  if (!options.token_file.empty())
    return read_token_file(options.token_file);
  const char* from_environment = std::getenv("CORRAL_CONTROL_TOKEN");
  if (from_environment != nullptr && *from_environment != '\0')
    return std::string{from_environment};
  auto path = default_token_path(options.node_id);
  if (!path)
    return path.error();
  return read_token_file(*path);
}

} // namespace

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

std::string unreachable_message(const connection_options& options,
                                const failure& error) {
  std::string start = "corral node --id " + options.node_id;
  if (!options.control.empty())
    start += " --control " + options.control;
  return "cannot reach a node: " + error.detail + "; start one with: "
         + start;
}

int report_failure(const connection_options& options, const failure& error) {
  if (error.code == errc::node_unreachable)
    std::cerr << "corral: " << unreachable_message(options, error) << "\n";
  else
    std::cerr << "corral: " << to_string(error) << "\n";
  return exit_code_for(error);
}

int report_connect_failure(const connection_options& options,
                           const failure& error) {
  // Before anything is sent, invalid_request can only come from the
  // options: the address or the token file.
  if (error.code != errc::invalid_request)
    return report_failure(options, error);
  std::cerr << "corral: " << error.detail << "\n";
  return exit_usage;
}

int call_node(const connection_options& options, nlohmann::json request,
              std::chrono::milliseconds timeout,
              const std::function<int(const nlohmann::json&)>& on_reply) {
  auto client = connect_to_node(options);
  if (!client)
    return report_connect_failure(options, client.error());
  auto reply = (*client)->request(std::move(request), timeout);
  if (!reply)
    return report_failure(options, reply.error());
  return on_reply(*reply);
}

} // namespace corral::cli
