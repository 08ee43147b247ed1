#include "cli/node_tee_policy.hpp"

namespace corral::cli {

void add_tee_policy_options(CLI::App& command, tee_policy_options& options) {
  command.add_option("--tee-allow", options.allow,
                     "Enclave type this node accepts for Tee agents: sgx, "
                     "sev, tdx, trustzone or simulation (no hardware "
                     "protection, logged as a warning); repeatable. "
                     "Default: none");
  command.add_option("--tee-measurement", options.measurements,
                     "Measurement (64 hex digits) a Tee agent must show; "
                     "repeatable. Default: any measurement");
  command.add_flag("--tee-allow-debug", options.allow_debug,
                   "Accept debug enclaves, whose memory the host can read");
}

result<tee::tee_policy> make_tee_policy(const tee_policy_options& options) {
  tee::tee_policy policy;
  for (const auto& name : options.allow) {
    enclave_type type{};
    if (!from_string(name, type))
      return failure{errc::invalid_request,
                     "--tee-allow " + name
                       + ": unknown enclave type (expected sgx, sev, tdx, "
                         "trustzone or simulation)"};
    policy.allowed_types.insert(type);
  }
  for (auto measurement : options.measurements) {
    for (char& c : measurement)
      if (c >= 'A' && c <= 'F')
        c = static_cast<char>(c - 'A' + 'a');
    if (!is_measurement(measurement))
      return failure{errc::invalid_request,
                     "--tee-measurement " + measurement
                       + ": expected 64 hex digits (a SHA-256 digest)"};
    policy.allowed_measurements.insert(measurement);
  }
  policy.allow_debug = options.allow_debug;
  return policy;
}

} // namespace corral::cli
