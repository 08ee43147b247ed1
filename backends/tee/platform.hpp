#pragma once

#include <optional>
#include <string>

#include "serialization/spawn_backend.hpp"

namespace corral::tee {

/// The device a hardware enclave type needs ("/dev/sgx_enclave",
/// "/dev/sev-guest", "/dev/tdx_guest", "/dev/tee0"); empty for simulation.
std::string device_path(enclave_type type);

/// Returns why enclaves of `type` cannot run on this machine (the device
/// that is missing), or nothing.
std::optional<std::string> platform_unavailable(enclave_type type);

} // namespace corral::tee
