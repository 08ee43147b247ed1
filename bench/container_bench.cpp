// corral-container-bench: spawn-to-first-reply of a container agent,
// measured beside raw `podman run --rm` of the same image doing the same
// echo, in the same run, and with a warm pool. See docs/benchmarks.md.
//
//   corral-container-bench [--runs N] [--pool N]
//
// It builds a temporary image with examples/container/build-image.sh and
// removes it at the end. Each run measures the variants in turn, and
// waits until the pool is full and ready before each measurement, so that
// no container starts in the background of another one's measurement.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <poll.h>
#include <unistd.h>

#include "actors/error.hpp"
#include "actors/log.hpp"
#include "actors/node.hpp"
#include "backends/builtin_backends.hpp"
#include "backends/container/child_process.hpp"
#include "backends/container/container_launcher.hpp"
#include "backends/container/container_spec.hpp"
#include "backends/container/engine.hpp"
#include "bench/statistics.hpp"

using namespace corral;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::chrono::seconds hang_guard{30};
const std::string echo_line
  = R"({"type":"message","id":1,"from":"bench:0","topic":"echo","payload":"ping"})"
    "\n";

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start)
    .count();
}

// Runs `argv` (an engine `run -i --rm ...`), writes the echo message at
// once and returns the milliseconds until the reply line arrived. The
// container then gets EOF on stdin and exits, which is not timed.
double raw_run(const std::vector<std::string>& argv) {
  auto start = clock_type::now();
  std::string error;
  auto child = container::start_child(argv, error);
  if (!child)
    throw std::runtime_error("raw run failed to start: " + error);
  if (::write(child->in.get(), echo_line.data(), echo_line.size())
      != static_cast<ssize_t>(echo_line.size()))
    throw std::runtime_error("raw run: writing the message failed");

  std::string buffer;
  double elapsed = -1;
  auto deadline = clock_type::now() + hang_guard;
  while (elapsed < 0 && clock_type::now() < deadline) {
    pollfd fd{child->out.get(), POLLIN, 0};
    if (::poll(&fd, 1, 1000) <= 0)
      continue;
    char chunk[4096];
    auto n = ::read(child->out.get(), chunk, sizeof chunk);
    if (n <= 0)
      break;
    buffer.append(chunk, static_cast<std::size_t>(n));
    if (buffer.find(R"("type":"reply")") != std::string::npos)
      elapsed = ms_since(start);
  }
  child->in.reset();
  container::wait_child(child->pid);
  if (elapsed < 0)
    throw std::runtime_error("raw run got no reply; its stdout: " + buffer);
  return elapsed;
}

// Spawns a container agent on `instance`, sends it one request, and
// returns the
// milliseconds from the spawn call to the reply. The stop is not timed.
double corral_run(corral::node& instance, const std::string& image,
                  const std::string& agent_id) {
  spawn_request request;
  request.agent_id = agent_id;
  request.backend = container_backend{image};
  request.restart = restart_type::temporary;

  auto start = clock_type::now();
  auto spawned = instance.spawn(request);
  if (!spawned)
    throw std::runtime_error("spawn failed: " + describe(spawned.error()));
  auto reply = instance.request(agent_id, "echo", "ping", hang_guard);
  auto elapsed = ms_since(start);
  if (!reply || reply->payload != "ping")
    throw std::runtime_error("the container agent did not echo");
  instance.stop(agent_id, stop_options{false, 2000});
  return elapsed;
}

void wait_for_pool(const container::container_launcher& launcher,
                   std::size_t size) {
  auto deadline = clock_type::now() + hang_guard;
  while (launcher.pooled_ready() < size && clock_type::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
}

struct options {
  int runs = 10;
  std::size_t pool = 1;
};

options parse(int argc, char** argv) {
  options out;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc)
      out.runs = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--pool" && i + 1 < argc)
      out.pool = std::max(1, std::atoi(argv[++i]));
    else
      throw std::invalid_argument("unknown argument " + arg
                                  + "; use --runs N and --pool N");
  }
  return out;
}

void print_row(const char* name, const std::vector<double>& values,
               double baseline) {
  auto mid = bench::median(values);
  std::printf("%-34s median %8.1f ms  p90 %8.1f ms  %6.2fx raw\n", name, mid,
              bench::percentile(values, 0.9), mid / baseline);
}

} // namespace

int main(int argc, char** argv) {
  try {
    auto opts = parse(argc, argv);
    set_log_level("warn");

    auto image = "localhost/corral-bench:" + std::to_string(::getpid());
    auto built = container::run_command(
      {CORRAL_BUILD_IMAGE_SCRIPT, image, CORRAL_CONTAINER_AGENT},
      std::chrono::seconds{120});
    if (built.exit_code != 0)
      throw std::runtime_error("building the image failed: " + built.err);

    container::engine_settings settings;
    std::string error;
    auto path = container::locate_engine(settings, error);
    if (!path)
      throw std::runtime_error(error);
    auto facts = container::probe_engine(settings, *path, error);
    if (!facts)
      throw std::runtime_error(error);

    // Raw: only what the host needs (its run flags), no network, the
    // image's own echo.sh.
    std::vector<std::string> raw_args{"run", "--rm", "-i", "--network",
                                      "none"};
    raw_args.insert(raw_args.end(), facts->run_flags.begin(),
                    facts->run_flags.end());
    raw_args.push_back(image);
    auto raw_argv = container::engine_command(*facts, raw_args);

    auto cold_launcher = std::make_shared<container::container_launcher>();
    auto cold_backends = builtin_backends();
    cold_backends.add("Container", cold_launcher);
    node_config cold_config;
    cold_config.node_id = "cold";
    corral::node cold{cold_config, std::move(cold_backends)};

    auto warm_settings = container::engine_settings::from_environment();
    warm_settings.pool_size = opts.pool;
    auto warm_launcher
      = std::make_shared<container::container_launcher>(warm_settings);
    auto warm_backends = builtin_backends();
    warm_backends.add("Container", warm_launcher);
    node_config warm_config;
    warm_config.node_id = "warm";
    corral::node warm{warm_config, std::move(warm_backends)};

    // Not timed: the first spawn probes the engine and fills the pool.
    corral_run(cold, image, "first-cold");
    corral_run(warm, image, "first-warm");
    raw_run(raw_argv);

    std::vector<double> raw, corral_cold, corral_warm;
    for (int run = 0; run < opts.runs; ++run) {
      wait_for_pool(*warm_launcher, opts.pool);
      raw.push_back(raw_run(raw_argv));
      wait_for_pool(*warm_launcher, opts.pool);
      corral_cold.push_back(
        corral_run(cold, image, "cold-" + std::to_string(run)));
      wait_for_pool(*warm_launcher, opts.pool);
      corral_warm.push_back(
        corral_run(warm, image, "warm-" + std::to_string(run)));
    }

    auto baseline = bench::median(raw);
    std::printf("spawn-to-first-reply of a busybox sh echo agent, %d runs, "
                "pool size %zu\n",
                opts.runs, opts.pool);
    print_row("raw podman run --rm -i", raw, baseline);
    print_row("corral container agent, cold", corral_cold, baseline);
    print_row("corral container agent, warm pool", corral_warm, baseline);
    std::printf("warm pool speed-up over raw podman run: %.1fx\n",
                baseline / bench::median(corral_warm));

    container::run_command(container::engine_command(*facts,
                                                     {"rmi", "-f", image}),
                           std::chrono::seconds{60});
    return 0;
  } catch (const std::exception& x) {
    std::cerr << "corral-container-bench: " << x.what() << "\n";
    return 1;
  }
}
