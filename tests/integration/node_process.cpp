#include "node_process.hpp"

#include <stdexcept>
#include <thread>

namespace corral::testing {

using std::chrono::milliseconds;

std::string corral_executable() {
  return CORRAL_EXECUTABLE;
}

command_result run_corral(const std::vector<std::string>& args,
                          milliseconds timeout, const std::string& input) {
  std::vector<std::string> argv{corral_executable()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, timeout, input);
}

node_process::node_process(const std::string& node_id)
  : node_process(node_id, {}) {
}

node_process::node_process(const std::string& node_id,
                           const std::vector<std::string>& extra_args)
  : node_process(node_id, extra_args, {}) {
}

node_process::node_process(const std::string& node_id,
                           const std::vector<std::string>& extra_args,
                           const std::vector<std::string>& launcher)
  : node_id_(node_id), control_path_(directory_.path() + "/node.sock") {
  std::vector<std::string> command{corral_executable(), "node", "--id",
                                   node_id_, "--control", control_path_,
                                   "--log-level", "info", "--threads", "2"};
  auto argv = launcher;
  argv.insert(argv.end(), command.begin(), command.end());
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<background_process>(argv,
                                                  directory_.path() + "/node");

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->running())
      throw std::runtime_error("corral node exited at start: "
                               + process_->err());
    auto ping = corral({"ping", "--connect-timeout", "200"},
                       std::chrono::seconds{5});
    if (ping.exit_code == 0)
      return;
    std::this_thread::sleep_for(milliseconds{50});
  }
  throw std::runtime_error("corral node did not answer ping within 10 s: "
                           + process_->err());
}

command_result node_process::corral(std::vector<std::string> args,
                                    milliseconds timeout,
                                    const std::string& input) const {
  args.push_back("--control");
  args.push_back(control_path_);
  return run_corral(args, timeout, input);
}

std::unique_ptr<background_process>
node_process::start_corral(std::vector<std::string> args,
                           const std::string& name) const {
  std::vector<std::string> argv{corral_executable()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--control");
  argv.push_back(control_path_);
  return std::make_unique<background_process>(argv,
                                              directory_.path() + "/" + name);
}

} // namespace corral::testing
