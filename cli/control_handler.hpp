#pragma once

#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/node.hpp"
#include "net/control_request_context.hpp"
#include "serialization/json_reader.hpp"

namespace corral::cli {

/// Handles control requests by calling one node: the glue between the
/// control endpoint, which knows nothing of actors, and `corral::node`.
/// docs/control-protocol.md lists the operations and their fields. Every
/// field of a request is checked; an unknown field is an error naming it.
class control_handler {
public:
  /// Returns extra counters for the `stats` reply, e.g. the endpoint's.
  using stats_source = std::function<nlohmann::json()>;

  /// Serves `target`, which must outlive every stream the handler opens.
  /// `control_stats`, when set, fills the "control" object of `stats`.
  control_handler(node& target, stats_source control_stats);

  /// Runs one request and returns its reply. Invalid input gives an
  /// error reply; exceptions from the node propagate to the endpoint,
  /// which turns them into internal_error replies. Requests that wait for
  /// agents (spawn, stop, restart, send) promise their reply through
  /// `context` instead, so that they hold no handler thread.
  nlohmann::json operator()(const nlohmann::json& request,
                            control_request_context& context) const;

  /// Names of the operations, in alphabetical order.
  std::vector<std::string> operations() const;

private:
  using operation = nlohmann::json (control_handler::*)(
    json_object_reader& fields, control_request_context& context) const;

  nlohmann::json ping(json_object_reader&, control_request_context&) const;
  nlohmann::json spawn(json_object_reader&, control_request_context&) const;
  nlohmann::json stop(json_object_reader&, control_request_context&) const;
  nlohmann::json restart(json_object_reader&, control_request_context&) const;
  nlohmann::json suspend(json_object_reader&, control_request_context&) const;
  nlohmann::json resume(json_object_reader&, control_request_context&) const;
  nlohmann::json inspect(json_object_reader&, control_request_context&) const;
  nlohmann::json list(json_object_reader&, control_request_context&) const;
  nlohmann::json send(json_object_reader&, control_request_context&) const;
  nlohmann::json cast(json_object_reader&, control_request_context&) const;
  nlohmann::json publish(json_object_reader&, control_request_context&) const;
  nlohmann::json watch(json_object_reader&, control_request_context&) const;
  nlohmann::json dead_letters(json_object_reader&,
                              control_request_context&) const;
  nlohmann::json stats(json_object_reader&, control_request_context&) const;

  node* node_;
  stats_source control_stats_;
  std::map<std::string, operation> operations_;
};

} // namespace corral::cli
