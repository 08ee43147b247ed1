#include "cli/cluster_control.hpp"

#include "net/control_protocol.hpp"
#include "serialization/json_reader.hpp"

namespace corral::cli {

using nlohmann::json;

json to_json(const member_info& x) {
  auto optional = [](const auto& value) {
    return value ? json(*value) : json(nullptr);
  };
  return {{"node_id", x.node_id},
          {"address", x.address.empty() ? json(nullptr) : json(x.address)},
          {"state", to_string(x.state)},
          {"incarnation", x.incarnation},
          {"heartbeat", x.heartbeat},
          {"last_heartbeat_ms", optional(x.last_heard_ms)},
          {"rtt_us", optional(x.rtt_us)},
          {"agents", optional(x.agents)},
          {"self", x.self}};
}

namespace {

std::string op_of(const json& request) {
  if (!request.is_object())
    return {};
  auto op = request.find("op");
  return op != request.end() && op->is_string() ? op->get<std::string>()
                                                : std::string{};
}

json nodes_reply(const json& request, node& local,
                 const cluster_node* cluster) {
  try {
    json_object_reader fields{json_at{request, "request"}};
    fields.field("id");
    fields.required_field("op");
    fields.finish();
  } catch (const json_read_error& e) {
    return make_error_reply({errc::invalid_request, e.what()});
  }

  auto members = json::array();
  if (cluster != nullptr) {
    for (const auto& member : cluster->members())
      members.push_back(to_json(member));
  } else {
    // A node outside a cluster lists itself, so that scripts need no
    // special case.
    member_info self;
    self.node_id = local.id();
    self.state = member_state::alive;
    self.agents = local.stats().live_agents;
    self.self = true;
    members.push_back(to_json(self));
  }
  auto reply = make_ok_reply();
  reply["node_id"] = local.id();
  reply["cluster"] = cluster != nullptr;
  reply["members"] = std::move(members);
  return reply;
}

} // namespace

corral::control_handler with_cluster_operations(corral::control_handler inner,
                                                node& local,
                                                const cluster_node* cluster) {
  return [inner = std::move(inner), &local,
          cluster](const json& request, control_request_context& context) {
    auto op = op_of(request);
    if (op == "nodes")
      return nodes_reply(request, local, cluster);
    auto reply = inner(request, context);
    if (op == "stats" && cluster != nullptr && reply.value("ok", false)
        && reply.contains("stats") && reply["stats"].is_object())
      reply["stats"]["cluster"] = cluster->stats();
    return reply;
  };
}

} // namespace corral::cli
