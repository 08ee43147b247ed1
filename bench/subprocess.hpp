#pragma once

#include <string>

namespace corral::bench {

/// Standard output and exit code of a finished command.
struct command_output {
  std::string text;
  /// The exit code, or -1 when the command was ended by a signal.
  int exit_code = -1;
};

/// Runs `command` through /bin/sh and returns its standard output and exit
/// code; its standard error goes to ours. Raises std::runtime_error when
/// the shell cannot be started.
command_output run_command(const std::string& command);

/// Quotes `text` as one word for /bin/sh.
std::string shell_quote(const std::string& text);

} // namespace corral::bench
