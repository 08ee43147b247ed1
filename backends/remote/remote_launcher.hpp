#pragma once

#include <memory>

#include "actors/backend.hpp"

namespace corral::remote {

class remote_service;

/// The "Remote" backend: checks that the target node is an alive member
/// and starts a proxy that spawns the agent there. The spawn completes
/// when the target confirms (the proxy reports `started`), and fails with
/// the target's error, node_unreachable or timeout otherwise.
class remote_launcher : public backend {
public:
  /// Creates the launcher of `service`.
  explicit remote_launcher(std::shared_ptr<remote_service> service);

  caf::expected<spawn_outcome> spawn(const spawn_context& ctx) override;

private:
  std::shared_ptr<remote_service> service_;
};

} // namespace corral::remote
