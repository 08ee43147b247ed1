#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "net/control_address.hpp"
#include "net/control_client.hpp"
#include "serialization/result.hpp"

namespace corral::cli {

/// Node id that commands use when neither --node nor --control is given;
/// the same default as `corral node --id`.
inline constexpr const char* default_node_id = "local";

/// Options that locate the node a command talks to.
struct connection_options {
  /// --control: an ipc path or loopback tcp address; wins over --node.
  std::string control;
  /// --node: the node id whose default socket path is used.
  std::string node_id = default_node_id;
  /// --token-file: token for a tcp control address.
  std::string token_file;
  /// --connect-timeout: how long sending a request may block, in
  /// milliseconds.
  int connect_timeout_ms = 2000;
};

/// Adds --control, --node, --token-file and --connect-timeout to `command`.
void add_connection_options(CLI::App& command, connection_options& options);

/// Resolves the control address of the options: --control, else the
/// default path of --node.
result<control_address> resolve_control_address(const connection_options& options);

/// Returns the path where `corral node` writes the token of a tcp control
/// endpoint started without --token-file: next to the node's default ipc
/// socket, as NODE_ID.token.
result<std::string> default_token_path(const std::string& node_id);

/// Reads the first line of `path` as a token.
result<std::string> read_token_file(const std::string& path);

/// Names where the token of `options` is read from, e.g. "--token-file
/// FILE", for hints after the node rejected a token.
std::string describe_token_source(const connection_options& options);

/// Connects to the node of `options`.
result<std::unique_ptr<control_client>> connect_to_node(
  const connection_options& options);

/// Returns a one-line message for a node that cannot be reached, saying
/// how to start one.
std::string unreachable_message(const connection_options& options,
                                const failure& error);

/// Prints `error`, a failure to get the reply of a node that was listening
/// when the command connected, to stderr as one line and returns its exit
/// code.
int report_failure(const connection_options& options, const failure& error);

/// Prints `error`, a failure that the node reported in its reply, to stderr
/// as one line and returns exit_failed. The node replied, so even its
/// node_unreachable (e.g. for a target on another node) is no reason for
/// exit_unreachable. A rejected token gets a hint where it was read from.
int report_node_error(const connection_options& options, const failure& error);

/// Prints `error`, the failure of `connect_to_node`, to stderr as one line
/// and returns its exit code. An invalid address or token file is a usage
/// error (exit code 2), and a node that is not listening gets the command
/// that starts one.
int report_connect_failure(const connection_options& options,
                           const failure& error);

/// Connects, sends `request`, waits at most `timeout` for the reply and
/// passes it to `on_reply`, whose return value becomes the exit code.
/// Errors are printed and mapped to exit codes.
int call_node(const connection_options& options, nlohmann::json request,
              std::chrono::milliseconds timeout,
              const std::function<int(const nlohmann::json&)>& on_reply);

} // namespace corral::cli
