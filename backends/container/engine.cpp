#include "backends/container/engine.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <sys/resource.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

namespace corral::container {

namespace {

std::vector<std::string> split_words(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in{text};
  std::string word;
  while (in >> word)
    words.push_back(word);
  return words;
}

std::string first_line(const std::string& text) {
  auto end = text.find('\n');
  return end == std::string::npos ? text : text.substr(0, end);
}

// Most containers this process may start; the start value of the
// ulimit search.
constexpr std::uint64_t max_probe_limit = 1 << 20;

std::uint64_t own_limit(int resource) {
  rlimit limit{};
  if (::getrlimit(resource, &limit) != 0 || limit.rlim_max == RLIM_INFINITY)
    return max_probe_limit;
  return std::min<std::uint64_t>(limit.rlim_max, max_probe_limit);
}

std::vector<std::string> ulimit_flags(std::uint64_t nofile,
                                      std::uint64_t nproc) {
  auto both = [](std::uint64_t value) {
    return std::to_string(value) + ":" + std::to_string(value);
  };
  return {"--ulimit", "nofile=" + both(nofile), "--ulimit",
          "nproc=" + both(nproc)};
}

// Podman requests nofile and nproc limits of its own choosing from runc,
// which runc may not be allowed to set (here: "error setting rlimit type
// 7: operation not permitted"). This runs a command in an empty root
// filesystem, which fails after the limits are set when they work, and
// halves the rejected limit until they do, starting from this process's
// own.
// NOTE: with Podman 4.3 each attempt takes 0.3-1.5 s, which the first
// container spawn of a process waits for. Probing at node start instead
// would cost every node an engine `info` and a container run, also nodes
// that never run a container.
std::vector<std::string> probe_ulimits(const engine_settings& settings,
                                       const engine_facts& facts) {
  char pattern[] = "/tmp/corral-probe-XXXXXX";
  if (::mkdtemp(pattern) == nullptr)
    return ulimit_flags(own_limit(RLIMIT_NOFILE), own_limit(RLIMIT_NPROC));
  std::string root = pattern;
  std::uint64_t nofile = own_limit(RLIMIT_NOFILE);
  std::uint64_t nproc = own_limit(RLIMIT_NPROC);
  auto flags = ulimit_flags(nofile, nproc);
  for (int attempt = 0; attempt < 12; ++attempt) {
    // `--rootfs` makes the first argument a directory instead of an image,
    // so every flag goes before it.
    std::vector<std::string> args{"run", "--rm", "--network", "none"};
    args.insert(args.end(), flags.begin(), flags.end());
    args.insert(args.end(), {"--rootfs", root, "/corral-probe"});
    auto result = run_command(engine_command(facts, std::move(args)),
                              settings.command_timeout);
    bool nofile_rejected
      = result.err.find("rlimit type " + std::to_string(RLIMIT_NOFILE))
        != std::string::npos;
    bool nproc_rejected
      = result.err.find("rlimit type " + std::to_string(RLIMIT_NPROC))
        != std::string::npos;
    if (!nofile_rejected && !nproc_rejected)
      break;
    if (nofile_rejected)
      nofile = std::max<std::uint64_t>(nofile / 2, 64);
    if (nproc_rejected)
      nproc = std::max<std::uint64_t>(nproc / 2, 64);
    flags = ulimit_flags(nofile, nproc);
  }
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  return flags;
}

bool is_podman(const std::string& path) {
  auto slash = path.find_last_of('/');
  auto base = slash == std::string::npos ? path : path.substr(slash + 1);
  return base.find("podman") != std::string::npos;
}

// Podman's `info` shows the runtime and cgroup setup. A crun runtime on
// cgroups v1 fails with "cgroups in hybrid mode not supported", and the
// systemd cgroup manager needs a running systemd.
void detect_podman_flags(const nlohmann::json& info, engine_facts& facts) {
  const auto& host = info.value("host", nlohmann::json::object());
  std::string runtime;
  if (host.contains("ociRuntime") && host["ociRuntime"].is_object())
    runtime = host["ociRuntime"].value("name", "");
  auto manager = host.value("cgroupManager", std::string{});
  auto version = host.value("cgroupVersion", std::string{});

  std::string chosen_runtime = runtime;
  if (runtime == "crun" && version == "v1" && find_executable("runc")) {
    facts.global_flags.insert(facts.global_flags.end(), {"--runtime", "runc"});
    chosen_runtime = "runc";
  }
  std::string chosen_manager = manager;
  if (manager == "systemd" && ::access("/run/systemd/system", F_OK) != 0) {
    facts.global_flags.insert(facts.global_flags.end(),
                              {"--cgroup-manager", "cgroupfs"});
    chosen_manager = "cgroupfs";
  }
  facts.summary = "runtime " + chosen_runtime + ", cgroup manager "
                  + chosen_manager + ", cgroups " + version;
}

} // namespace

engine_settings engine_settings::from_environment() {
  engine_settings settings;
  if (const char* binary = std::getenv("CORRAL_CONTAINER_ENGINE");
      binary && *binary)
    settings.binary = binary;
  if (const char* flags = std::getenv("CORRAL_CONTAINER_ENGINE_FLAGS"))
    settings.global_flags = split_words(flags);
  if (const char* pool = std::getenv("CORRAL_CONTAINER_POOL"); pool && *pool)
    settings.pool_size = std::strtoul(pool, nullptr, 10);
  return settings;
}

std::optional<std::string> locate_engine(const engine_settings& settings,
                                         std::string& error) {
  auto path = find_executable(settings.binary);
  if (!path)
    error = "container engine " + settings.binary
            + " was not found in PATH; install podman (scripts/install-deps "
              "does) or set CORRAL_CONTAINER_ENGINE to the engine binary";
  return path;
}

std::optional<engine_facts> probe_engine(const engine_settings& settings,
                                         const std::string& path,
                                         std::string& error) {
  engine_facts facts;
  facts.path = path;
  facts.global_flags = settings.global_flags;

  auto result = run_command(engine_command(facts, {"info", "--format", "json"}),
                            settings.command_timeout);
  if (result.exit_code != 0) {
    error = "container engine " + path + " failed `info`"
            + (result.timed_out ? std::string{" (timed out)"} : std::string{})
            + ": " + first_line(result.err);
    return std::nullopt;
  }
  if (settings.global_flags.empty() && is_podman(path)) {
    auto info = nlohmann::json::parse(result.out, nullptr, false);
    if (info.is_object())
      detect_podman_flags(info, facts);
  }
  if (facts.summary.empty())
    facts.summary = "global flags as configured";

  facts.run_flags = is_podman(path) ? probe_ulimits(settings, facts)
                                    : std::vector<std::string>{};
  facts.summary += "; run flags:";
  for (const auto& flag : facts.run_flags)
    facts.summary += " " + flag;
  return facts;
}

std::size_t remove_leftovers(const engine_facts& facts,
                             std::chrono::milliseconds timeout) {
  auto listed = run_command(
    engine_command(facts, {"ps", "-a", "--filter",
                           std::string{"label="} + container_label, "--filter",
                           "label=corral.host=" + host_name(), "--format",
                           "{{.Names}}"}),
    timeout);
  if (listed.exit_code != 0)
    return 0;

  std::vector<std::string> stale;
  for (const auto& name : split_words(listed.out)) {
    // Names are corral-<os pid of the node process>-...
    if (name.rfind("corral-", 0) != 0)
      continue;
    auto owner = std::strtol(name.c_str() + 7, nullptr, 10);
    // NOTE: a reused process id keeps the leftovers of the crashed node
    // until that process ends.
    if (owner <= 0 || (::kill(static_cast<pid_t>(owner), 0) != 0
                       && errno == ESRCH))
      stale.push_back(name);
  }
  if (stale.empty())
    return 0;
  std::vector<std::string> args{"rm", "-f"};
  args.insert(args.end(), stale.begin(), stale.end());
  run_command(engine_command(facts, std::move(args)), timeout);
  return stale.size();
}

std::vector<std::string> engine_command(const engine_facts& facts,
                                        std::vector<std::string> args) {
  std::vector<std::string> argv{facts.path};
  argv.insert(argv.end(), facts.global_flags.begin(), facts.global_flags.end());
  argv.insert(argv.end(), std::make_move_iterator(args.begin()),
              std::make_move_iterator(args.end()));
  return argv;
}

const std::string& host_name() {
  static const std::string name = [] {
    char buffer[256] = {};
    if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == 0)
      return std::string{"localhost"};
    return std::string{buffer};
  }();
  return name;
}

} // namespace corral::container
