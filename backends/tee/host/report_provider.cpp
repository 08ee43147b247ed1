// Report providers. Only `simulated_provider` runs on the machines corral
// is tested on. The SEV-SNP and TDX paths follow the Linux guest drivers'
// ioctl interfaces, but have not run on hardware.
#include "backends/tee/host/report_provider.hpp"

#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fcntl.h>
#include <linux/ioctl.h>
#include <linux/sev-guest.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "backends/tee/attestation.hpp"
#include "backends/tee/platform.hpp"

namespace corral::tee {

namespace {

// The TDX guest driver's request (Linux 6.2, uapi/linux/tdx-guest.h, not in
// Debian 12's headers): 64 bytes of report data in, the 1024-byte TDREPORT
// out, through TDX_CMD_GET_REPORT0 = _IOWR('T', 1, struct).
struct tdx_report_request {
  std::uint8_t report_data[64];
  std::uint8_t td_report[1024];
};
constexpr unsigned long tdx_get_report0
  = _IOWR('T', 1, tdx_report_request);

class simulated_provider : public report_provider {
public:
  explicit simulated_provider(std::string key) : key_(std::move(key)) {
  }

  ~simulated_provider() override {
    sodium_memzero(key_.data(), key_.size());
  }

  std::optional<std::string> attest(evidence& x) override {
    x.simulated = true;
    if (!sign_evidence(x, key_))
      return std::string("the simulated platform key has the wrong size");
    return std::nullopt;
  }

private:
  std::string key_;
};

// Opens the guest device once, before the seccomp filter closes `open`.
class device_provider : public report_provider {
public:
  device_provider(const std::string& device, std::string& error)
    : fd_(::open(device.c_str(), O_RDWR | O_CLOEXEC)) {
    if (fd_ < 0)
      error = "cannot open " + device + ": " + std::strerror(errno);
  }

  ~device_provider() override {
    if (fd_ >= 0)
      ::close(fd_);
  }

protected:
  int fd_;
};

class sev_snp_provider : public device_provider {
public:
  using device_provider::device_provider;

  std::optional<std::string> attest(evidence& x) override {
    snp_report_req request{};
    std::memcpy(request.user_data, x.report_data.data(),
                std::min(x.report_data.size(), sizeof(request.user_data)));
    snp_report_resp response{};
    snp_guest_request_ioctl call{};
    call.msg_version = 1;
    call.req_data = reinterpret_cast<std::uint64_t>(&request);
    call.resp_data = reinterpret_cast<std::uint64_t>(&response);
    if (::ioctl(fd_, SNP_GET_REPORT, &call) != 0)
      return "SNP_GET_REPORT on /dev/sev-guest failed: "
             + std::string(std::strerror(errno));
    x.simulated = false;
    x.platform_report.assign(reinterpret_cast<const char*>(response.data),
                             sizeof(response.data));
    return std::nullopt;
  }
};

class tdx_provider : public device_provider {
public:
  using device_provider::device_provider;

  std::optional<std::string> attest(evidence& x) override {
    tdx_report_request request{};
    std::memcpy(request.report_data, x.report_data.data(),
                std::min(x.report_data.size(), sizeof(request.report_data)));
    if (::ioctl(fd_, tdx_get_report0, &request) != 0)
      return "TDX_CMD_GET_REPORT0 on /dev/tdx_guest failed: "
             + std::string(std::strerror(errno));
    x.simulated = false;
    x.platform_report.assign(reinterpret_cast<const char*>(request.td_report),
                             sizeof(request.td_report));
    return std::nullopt;
  }
};

} // namespace

std::unique_ptr<report_provider> make_report_provider(
  const launch_frame& launch, std::string& error) {
  enclave_type type{};
  if (!from_string(launch.enclave_type, type)) {
    error = "unknown enclave_type \"" + launch.enclave_type + "\"";
    return nullptr;
  }
  std::unique_ptr<report_provider> provider;
  switch (type) {
    case enclave_type::simulation:
      return std::make_unique<simulated_provider>(
        launch.simulated_platform_key);
    case enclave_type::sev:
      provider = std::make_unique<sev_snp_provider>(device_path(type), error);
      break;
    case enclave_type::tdx:
      provider = std::make_unique<tdx_provider>(device_path(type), error);
      break;
    case enclave_type::sgx:
    case enclave_type::trustzone:
      error = "enclave hosts for " + launch.enclave_type
              + " are not implemented (SGX needs a quoting enclave, "
                "TrustZone a trusted application)";
      return nullptr;
  }
  return error.empty() ? std::move(provider) : nullptr;
}

} // namespace corral::tee
