#include "serialization/spawn_backend.hpp"

namespace corral {

bool is_measurement(const std::string& text) {
  if (text.size() != measurement_hex_digits)
    return false;
  for (char c : text)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return false;
  return true;
}

std::optional<std::string> enclave_config_error(const enclave_config& x) {
  switch (x.type) {
    case enclave_type::sgx:
    case enclave_type::sev:
    case enclave_type::tdx:
    case enclave_type::trustzone:
    case enclave_type::simulation:
      break;
    default:
      return std::string("enclave_type: unknown value (expected sgx, sev, "
                         "tdx, trustzone or simulation)");
  }
  if (x.workload.empty())
    return std::string("workload: must not be empty; give the path of a "
                       ".wasm or .wat module");
  if (auto nul = x.workload.find('\0'); nul != std::string::npos)
    return "workload: contains a NUL byte at offset " + std::to_string(nul)
           + "; a file name cannot contain one";
  if (x.expected_measurement && !is_measurement(*x.expected_measurement))
    return "expected_measurement: expected 64 lowercase hex digits (a "
           "SHA-256 digest), got \""
           + x.expected_measurement->substr(0, 80) + "\"";
  if (x.memory_bytes == 0)
    return std::string("memory_bytes: expected at least 1 byte");
  if (x.memory_bytes > max_enclave_memory_bytes)
    return "memory_bytes: " + std::to_string(x.memory_bytes)
           + " is more than the maximum of "
           + std::to_string(max_enclave_memory_bytes)
           + " (4 GiB, the most a 32-bit WASM memory can use)";
  return std::nullopt;
}

} // namespace corral
