#include "backends/tee/platform.hpp"

#include <unistd.h>

namespace corral::tee {

std::string device_path(enclave_type type) {
  switch (type) {
    case enclave_type::sgx:
      return "/dev/sgx_enclave";
    case enclave_type::sev:
      return "/dev/sev-guest";
    case enclave_type::tdx:
      return "/dev/tdx_guest";
    case enclave_type::trustzone:
      return "/dev/tee0";
    case enclave_type::simulation:
      break;
  }
  return {};
}

std::optional<std::string> platform_unavailable(enclave_type type) {
  auto device = device_path(type);
  if (device.empty() || ::access(device.c_str(), R_OK | W_OK) == 0)
    return std::nullopt;
  return "enclave_type " + std::string(to_string(type)) + " needs "
         + device + ", which does not exist or is not accessible on this "
                    "node; run the agent on a node with that hardware, or "
                    "use enclave_type simulation where the node's policy "
                    "allows it";
}

} // namespace corral::tee
