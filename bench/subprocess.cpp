#include "bench/subprocess.hpp"

#include <array>
#include <cstdio>
#include <stdexcept>

#include <sys/wait.h>

namespace corral::bench {

command_output run_command(const std::string& command) {
  command_output result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr)
    throw std::runtime_error("cannot start: " + command);
  std::array<char, 4096> buffer;
  std::size_t count = 0;
  while ((count = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.text.append(buffer.data(), count);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string shell_quote(const std::string& text) {
  std::string result = "'";
  for (char c : text)
    result += c == '\'' ? std::string{"'\\''"} : std::string{c};
  return result + "'";
}

} // namespace corral::bench
