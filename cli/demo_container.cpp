#include "cli/demo_container.hpp"

#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>

#include <unistd.h>

#include "actors/error.hpp"
#include "backends/container/child_process.hpp"
#include "backends/container/engine.hpp"

namespace corral::cli {

namespace {

constexpr std::chrono::seconds engine_timeout{60};

// Returns why the step cannot run here, or an empty string when it can.
std::string missing_piece() {
  std::error_code ignored;
  if (!std::filesystem::exists(CORRAL_BUILD_IMAGE_SCRIPT, ignored))
    return std::string{"the image script "} + CORRAL_BUILD_IMAGE_SCRIPT
           + " is missing";
  if (!std::filesystem::exists(CORRAL_CONTAINER_AGENT, ignored))
    return std::string{"the example agent "} + CORRAL_CONTAINER_AGENT
           + " was not built";
  return {};
}

// Waits until the engine has removed every container of this process, so
// that the demo image is no longer in use.
void wait_for_removal(const std::string& engine) {
  auto prefix = "name=corral-" + std::to_string(::getpid()) + "-";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    auto listed = container::run_command(
      {engine, "ps", "-a", "--filter", prefix, "--format", "{{.Names}}"},
      engine_timeout);
    if (listed.exit_code != 0 || listed.out.empty())
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
}

} // namespace

void run_container_step(node& instance) {
  auto settings = container::engine_settings::from_environment();
  std::string error;
  auto engine = container::locate_engine(settings, error);
  auto missing = engine ? missing_piece() : error;
  if (!missing.empty()) {
    std::cout << "skipped: " << missing << "\n";
    return;
  }

  auto image = "localhost/corral-demo:" + std::to_string(::getpid());
  auto built = container::run_command(
    {CORRAL_BUILD_IMAGE_SCRIPT, image, CORRAL_CONTAINER_AGENT},
    engine_timeout);
  if (built.exit_code != 0) {
    std::cout << "skipped: building the image " << image
              << " with podman import failed: " << built.err;
    return;
  }

  spawn_request request;
  request.agent_id = "container-echo";
  request.backend = container_backend{image};
  request.restart = restart_type::temporary;
  auto spawned = instance.spawn(request);
  if (!spawned) {
    std::cout << "skipped: the container agent did not start: "
              << describe(spawned.error()) << "\n";
  } else {
    std::cout << "spawned container-echo (busybox sh in " << image << ") as "
              << to_string(spawned->global) << "\n";
    auto reply = instance.request("container-echo", "echo",
                                  "hello from a container",
                                  std::chrono::seconds{10});
    if (reply)
      std::cout << "container-echo <- echo \"hello from a container\"  => "
                << reply->payload << "\n";
    else
      std::cout << "container-echo did not answer: "
                << describe(reply.error()) << "\n";
    auto reason = instance.stop("container-echo");
    if (reason)
      std::cout << "stopped container-echo: " << to_string(*reason) << "\n";
  }

  wait_for_removal(*engine);
  container::run_command({*engine, "rmi", "-f", image}, engine_timeout);
}

} // namespace corral::cli
