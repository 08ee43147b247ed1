#include "cli/exit_code.hpp"

namespace corral::cli {

int exit_code_for(const failure& error) {
  return error.code == errc::node_unreachable ? exit_unreachable : exit_failed;
}

} // namespace corral::cli
