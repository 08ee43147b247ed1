// `corral keygen`: writes a CurveZMQ key pair for a cluster node.

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/command.hpp"
#include "cli/exit_code.hpp"
#include "cli/option_checks.hpp"
#include "net/curve_keys.hpp"

namespace corral::cli {

namespace {

struct keygen_options {
  std::string prefix = "corral";
  bool force = false;
};

/// Writes `line` to a new file at `path` with `mode`. Without `force`, an
/// existing file is an error, and O_EXCL makes that check atomic.
std::optional<std::string> write_key_file(const std::string& path,
                                          const std::string& line, mode_t mode,
                                          bool force) {
  int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC
              | (force ? O_TRUNC : O_EXCL);
  int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    if (errno == EEXIST)
      return "\"" + path + "\" exists already; choose another --out "
             "PREFIX, or pass --force to replace the key pair";
    return "cannot write \"" + path + "\": " + std::strerror(errno);
  }
  // fchmod sets the mode of a replaced file too, and ignores the umask.
  int error = ::fchmod(fd, mode) == 0 ? 0 : errno;
  auto written = ::write(fd, line.data(), line.size());
  if (error == 0 && written != static_cast<ssize_t>(line.size()))
    error = written < 0 ? errno : ENOSPC;
  ::close(fd);
  if (error != 0)
    return "cannot write \"" + path + "\": " + std::strerror(error);
  return std::nullopt;
}

int run_keygen(const keygen_options& options) {
  if (!curve_available()) {
    std::cerr << "corral: this libzmq has no CURVE support, so it cannot "
                 "make Curve keys; install a libzmq built with libsodium\n";
    return exit_failed;
  }
  auto pair = make_curve_key_pair();
  if (!pair) {
    std::cerr << "corral: " << pair.error().detail << "\n";
    return exit_failed;
  }

  auto secret_path = options.prefix + ".key";
  auto public_path = options.prefix + ".pub";
  // The public file is checked first, so that a refusal leaves no new
  // secret key behind.
  if (!options.force && ::access(public_path.c_str(), F_OK) == 0) {
    std::cerr << "corral: \"" << public_path
              << "\" exists already; choose another --out PREFIX, or pass "
                 "--force to replace the key pair\n";
    return exit_failed;
  }
  if (auto error = write_key_file(secret_path, pair->secret_key + "\n", 0600,
                                  options.force)) {
    std::cerr << "corral: " << *error << "\n";
    return exit_failed;
  }
  if (auto error = write_key_file(public_path, pair->public_key + "\n", 0644,
                                  options.force)) {
    std::cerr << "corral: " << *error << "\n";
    ::unlink(secret_path.c_str());
    return exit_failed;
  }

  std::cerr << "wrote the secret key to " << secret_path
            << " (mode 0600) and the public key to " << public_path << "\n";
  std::cout << pair->public_key << "\n";
  return exit_ok;
}

} // namespace

void add_keygen_command(CLI::App& app, command_table& commands) {
  auto options = std::make_shared<keygen_options>();
  auto* command = app.add_subcommand(
    "keygen", "Write a CurveZMQ key pair for a cluster node and print its "
              "public key");
  command
    ->add_option("--out", options->prefix,
                 "Path prefix: writes PREFIX.key (secret, mode 0600) and "
                 "PREFIX.pub")
    ->check(non_empty("give a path prefix, e.g. --out keys/n1"))
    ->capture_default_str();
  command->add_flag("--force", options->force,
                    "Replace an existing key pair at PREFIX");
  commands[command] = [options] { return run_keygen(*options); };
}

} // namespace corral::cli
