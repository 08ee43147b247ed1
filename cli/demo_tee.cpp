// The Tee step of `corral demo`: an enclave agent in the simulation, with
// its measurement and a request through the attested, sealed channel.

#include "cli/demo_tee.hpp"

#include <filesystem>
#include <iostream>

#include "actors/error.hpp"
#include "backends/tee/tee_launcher.hpp"

namespace corral::cli {

backend_registry with_demo_tee(backend_registry backends,
                               const std::string& node_id) {
  tee::tee_options options;
  options.policy.allowed_types = {enclave_type::simulation};
  options.node_id = node_id;
  backends.add("Tee", std::make_shared<tee::tee_launcher>(options));
  return backends;
}

void run_tee_step(node& instance, const std::string& modules) {
  std::cout << "\n== Tee agent: attested enclave with a sealed channel "
               "(SIMULATED)\n";
  auto echo = modules + "/echo.wat";
  std::error_code missing;
  if (!std::filesystem::exists(echo, missing)) {
    std::cout << "skipped: " << echo << " does not exist\n";
    return;
  }
  std::cout << "warning: the demo node allows enclave_type simulation: the "
               "whole attestation protocol runs, but no hardware protects "
               "the enclave (docs/tee.md)\n";

  spawn_request request;
  request.agent_id = "enclave-1";
  enclave_config enclave;
  enclave.type = enclave_type::simulation;
  enclave.workload = echo;
  enclave.expected_measurement
    = tee::expected_measurement(tee::default_host_path(), echo);
  request.backend = tee_backend{enclave};
  auto spawned = instance.spawn(request);
  if (!spawned) {
    std::cout << "spawning enclave-1 failed: " << describe(spawned.error())
              << "\n";
    return;
  }
  auto info = instance.inspect("enclave-1");
  if (info) {
    std::cout << "spawned enclave-1 as " << to_string(spawned->global)
              << "\n  enclave_type: "
              << info->backend_details["enclave_type"]
              << "\n  measurement:  " << info->backend_details["measurement"]
              << "\n  simulated:    " << info->backend_details["simulated"]
              << "\n";
  }
  auto reply = instance.request("enclave-1", "echo", "hello from an enclave",
                                std::chrono::milliseconds{2000});
  std::cout << "enclave-1 <- echo \"hello from an enclave\"  => "
            << (reply ? reply->payload
                      : "error: " + describe(reply.error()))
            << "\n";
}

} // namespace corral::cli
