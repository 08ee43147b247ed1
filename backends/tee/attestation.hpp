#pragma once

#include <optional>
#include <set>
#include <string>

#include <sodium.h>

#include "backends/tee/protocol.hpp"
#include "backends/tee/secure_channel.hpp"
#include "serialization/spawn_backend.hpp"

namespace corral::tee {

/// Bytes in a nonce of the challenge.
inline constexpr std::size_t nonce_bytes = 32;

/// The enclaves a node accepts. The default accepts none, so that even
/// `simulation` must be allowed explicitly.
struct tee_policy {
  std::set<enclave_type> allowed_types;
  /// Measurements (lowercase hex) accepted; empty accepts any.
  std::set<std::string> allowed_measurements;
  /// Debug enclaves can be inspected by the host, so they are refused
  /// unless allowed.
  bool allow_debug = false;
};

/// Returns why `policy` rejects enclaves of `type`, or nothing.
std::optional<std::string> policy_type_error(const tee_policy& policy,
                                             enclave_type type);

/// The measurement of an enclave: hex SHA-256 over the raw SHA-256 of the
/// host executable followed by the raw SHA-256 of the workload, so that
/// changing either changes it.
std::string combine_measurement(const std::string& host_digest_hex,
                                const std::string& workload_digest_hex);

/// Returns the hex SHA-256 of the file at `path`, or nothing when it
/// cannot be read.
std::optional<std::string> file_digest(const std::string& path);

/// Returns the 64 bytes that bind a nonce and a host key in a report.
std::string make_report_data(const std::string& nonce,
                             const std::string& host_public_key);

/// An Ed25519 key pair that replaces a platform's attestation key.
/// NOTE: it lives in the node's memory and is handed to every enclave host
/// it starts, so anything that can read either process can forge evidence;
/// only a hardware key gives that protection.
struct simulated_platform_key {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_sign_SECRETKEYBYTES];

  /// Generates a fresh pair.
  simulated_platform_key();
  ~simulated_platform_key();
  simulated_platform_key(const simulated_platform_key&) = delete;
  simulated_platform_key& operator=(const simulated_platform_key&) = delete;

  std::string public_bytes() const;
  std::string secret_bytes() const;
};

/// Signs `x` (fills signer_public_key and signature) with an Ed25519
/// secret key of 64 bytes; false when the key has the wrong size.
bool sign_evidence(evidence& x, const std::string& secret_key);

/// The proxy's expectations of the evidence it receives.
struct evidence_expectations {
  enclave_type type = enclave_type::simulation;
  std::string nonce;
  /// The only signer accepted: the simulated platform key's public half.
  std::string trusted_signer;
  std::optional<std::string> expected_measurement;
  bool debug = false;
  /// The cipher the node chose in its hello.
  channel_cipher cipher = channel_cipher::aes256gcm;
  const tee_policy* policy = nullptr;
};

/// Checks `x` against `expected`: platform, signature, nonce, report data,
/// measurement, channel cipher, then the policy. Returns the first problem found, or
/// nothing when the evidence is accepted.
std::optional<std::string> verify_evidence(
  const evidence& x, const evidence_expectations& expected);

} // namespace corral::tee
