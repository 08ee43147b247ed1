#include "backends/remote/remote_launcher.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "backends/remote/module_shipping.hpp"
#include "backends/remote/remote_proxy.hpp"
#include "backends/remote/remote_service.hpp"

namespace corral::remote {

remote_launcher::remote_launcher(std::shared_ptr<remote_service> service)
  : service_(std::move(service)) {
}

namespace {

/// Returns the part of `path` after its last slash.
std::string file_name(const std::string& path) {
  auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// Returns the type `ps` shows for an agent that runs `inner` on another
/// node: the module or workload file, or the image, as that node shows
/// it. An empty result keeps the request's agent_type.
std::string remote_agent_type(const local_backend& inner,
                              const std::string& agent_type) {
  if (const auto* wasm = std::get_if<wasm_backend>(&inner))
    return file_name(wasm->module);
  if (const auto* tee = std::get_if<tee_backend>(&inner))
    return file_name(tee->enclave.workload);
  if (const auto* container = std::get_if<container_backend>(&inner))
    return agent_type == default_agent_type
             ? container->image
             : container->image + " " + agent_type;
  return {};
}

} // namespace

caf::expected<spawn_outcome>
remote_launcher::spawn(const spawn_context& ctx) {
  const auto* remote = std::get_if<remote_backend>(&ctx.request.backend);
  if (remote == nullptr)
    return make_error(errc::internal_error,
                      "the Remote backend got a request for another backend");
  const auto& node = remote->node_id;
  if (node == ctx.services->node_id())
    return make_error(errc::invalid_request,
                      "backend.Remote.node_id " + node
                        + " is this node; spawn with the inner backend "
                          "directly");
  if (auto error = service_->check_target(node))
    return error;
  auto gateway = service_->gateway();
  if (!gateway)
    return make_error(errc::backend_not_available,
                      "backend Remote is not available on node "
                        + ctx.services->node_id()
                        + ": its cluster is stopping");

  auto type = remote_agent_type(remote->inner, ctx.request.agent_type);
  // The target gets the request with the inner backend as its own.
  auto inner = ctx.request;
  inner.backend = std::visit(
    [](const auto& x) -> spawn_backend { return x; }, remote->inner);
  // A WASM module travels by content, so that the target needs no file at
  // this path; a target that lacks the bytes requests them from this node.
  if (auto wasm = std::get_if<wasm_backend>(&inner.backend))
    if (auto error = stage_module(*wasm, ctx.services->modules,
                                  ctx.services->node_id()))
      return error;
  // Requests to the proxy then carry their deadline (see remote_request).
  ctx.cell->remote = true;
  auto proxy = ctx.system.spawn<remote_proxy>(ctx.cell, ctx.services,
                                              service_, std::move(gateway),
                                              node,
                                              std::move(inner));
  return spawn_outcome{std::move(proxy), false, std::move(type), node};
}

} // namespace corral::remote
