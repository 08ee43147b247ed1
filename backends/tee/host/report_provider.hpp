#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backends/tee/protocol.hpp"

namespace corral::tee {

/// The source of the platform's part of an enclave host's evidence: a
/// signature by the simulated platform key, or a report from the kernel's
/// confidential-computing guest device.
class report_provider {
public:
  virtual ~report_provider() = default;

  /// Fills the platform's part of `x` (platform_report, or signer and
  /// signature) over the fields already set. Returns the error, or
  /// nothing.
  virtual std::optional<std::string> attest(evidence& x) = 0;
};

/// Returns the provider for `launch.enclave_type`, or sets `error` (e.g.
/// SGX and TrustZone, whose quoting paths are not implemented).
std::unique_ptr<report_provider> make_report_provider(
  const launch_frame& launch, std::string& error);

} // namespace corral::tee
