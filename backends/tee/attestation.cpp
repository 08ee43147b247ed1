#include "backends/tee/attestation.hpp"

#include <fstream>
#include <vector>

namespace corral::tee {

namespace {

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string out(size * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), data, size);
  out.pop_back();
  return out;
}

bool from_hex(const std::string& hex, unsigned char* out, std::size_t size) {
  std::size_t written = 0;
  return sodium_hex2bin(out, size, hex.data(), hex.size(), nullptr, &written,
                        nullptr)
           == 0
         && written == size;
}

bool same_bytes(const std::string& x, const std::string& y) {
  return x.size() == y.size()
         && sodium_memcmp(x.data(), y.data(), x.size()) == 0;
}

// Checks what the signature and the platform vouch for: the parts of the
// evidence that do not depend on this spawn's configuration.
std::optional<std::string> check_integrity(const evidence& x,
                                           const evidence_expectations& e) {
  if (x.version != protocol_version)
    return "evidence version " + std::to_string(x.version)
           + " is not the supported version "
           + std::to_string(protocol_version);
  if (x.platform != to_string(e.type))
    return "evidence is for platform \"" + x.platform.substr(0, 32)
           + "\", but the enclave_type is " + to_string(e.type);
  bool simulation = e.type == enclave_type::simulation;
  if (x.simulated != simulation)
    return simulation ? std::string("evidence claims hardware, but the "
                                    "enclave_type is simulation")
                      : std::string("evidence is simulated, but the "
                                    "enclave_type is hardware");
  if (!simulation)
    // NOTE: a hardware report is verified against the vendor's
    // certificate chain (AMD VCEK, Intel PCK), which is not implemented;
    // no such device exists on the machines this was built on.
    return "verification of " + std::string(to_string(e.type))
           + " hardware reports is not implemented";
  if (x.signer_public_key.size() != crypto_sign_PUBLICKEYBYTES
      || !same_bytes(x.signer_public_key, e.trusted_signer))
    return std::string("evidence is signed by a key that is not the "
                       "platform key");
  auto body = signed_bytes(x);
  if (x.signature.size() != crypto_sign_BYTES
      || crypto_sign_verify_detached(
           reinterpret_cast<const unsigned char*>(x.signature.data()),
           reinterpret_cast<const unsigned char*>(body.data()), body.size(),
           reinterpret_cast<const unsigned char*>(x.signer_public_key.data()))
           != 0)
    return std::string("the evidence signature is invalid (tampered "
                       "evidence)");
  if (!same_bytes(x.nonce, e.nonce))
    return std::string("the evidence answers another nonce than the one "
                       "sent (replayed or stale evidence)");
  if (x.host_public_key.size() != crypto_kx_PUBLICKEYBYTES
      || !same_bytes(x.report_data,
                     make_report_data(x.nonce, x.host_public_key)))
    return std::string("the report data does not bind the nonce and the "
                       "host key");
  if (!is_measurement(x.host_digest) || !is_measurement(x.workload_digest)
      || x.measurement != combine_measurement(x.host_digest,
                                              x.workload_digest))
    return std::string("the measurement is not the digest of its host and "
                       "workload parts");
  // The hello that carried the node's choice is not signed, so a changed
  // choice shows here.
  if (x.channel_cipher != static_cast<std::uint8_t>(e.cipher))
    return "the evidence names the channel cipher "
           + cipher_name(x.channel_cipher) + ", but the node chose "
           + to_string(e.cipher) + " (a changed or downgraded cipher)";
  return std::nullopt;
}

} // namespace

std::optional<std::string> policy_type_error(const tee_policy& policy,
                                             enclave_type type) {
  if (policy.allowed_types.count(type) != 0)
    return std::nullopt;
  std::string text = "enclave_type " + std::string(to_string(type))
                     + " is not allowed by this node's policy";
  if (type == enclave_type::simulation)
    text += " (simulation gives no hardware protection, so a node accepts "
            "it only when its config allows it, e.g. `corral node "
            "--tee-allow simulation`)";
  return text;
}

std::string combine_measurement(const std::string& host_digest_hex,
                                const std::string& workload_digest_hex) {
  unsigned char parts[2 * crypto_hash_sha256_BYTES] = {};
  from_hex(host_digest_hex, parts, crypto_hash_sha256_BYTES);
  from_hex(workload_digest_hex, parts + crypto_hash_sha256_BYTES,
           crypto_hash_sha256_BYTES);
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, parts, sizeof(parts));
  return to_hex(digest, sizeof(digest));
}

std::optional<std::string> file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    auto got = in.gcount();
    if (got > 0)
      crypto_hash_sha256_update(
        &state, reinterpret_cast<const unsigned char*>(buffer.data()),
        static_cast<unsigned long long>(got));
  }
  if (in.bad())
    return std::nullopt;
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256_final(&state, digest);
  return to_hex(digest, sizeof(digest));
}

std::string make_report_data(const std::string& nonce,
                             const std::string& host_public_key) {
  std::string joined = nonce + host_public_key;
  unsigned char digest[crypto_hash_sha512_BYTES];
  crypto_hash_sha512(digest, reinterpret_cast<const unsigned char*>(
                               joined.data()),
                     joined.size());
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
}

simulated_platform_key::simulated_platform_key() {
  crypto_sign_keypair(public_key, secret_key);
}

simulated_platform_key::~simulated_platform_key() {
  sodium_memzero(secret_key, sizeof(secret_key));
}

std::string simulated_platform_key::public_bytes() const {
  return std::string(reinterpret_cast<const char*>(public_key),
                     sizeof(public_key));
}

std::string simulated_platform_key::secret_bytes() const {
  return std::string(reinterpret_cast<const char*>(secret_key),
                     sizeof(secret_key));
}

std::string signed_bytes(const evidence& x) {
  auto copy = x;
  copy.signature.clear();
  return to_binary(copy);
}

bool sign_evidence(evidence& x, const std::string& secret_key) {
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES)
    return false;
  const auto* key = reinterpret_cast<const unsigned char*>(secret_key.data());
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  crypto_sign_ed25519_sk_to_pk(public_key, key);
  x.signer_public_key.assign(reinterpret_cast<const char*>(public_key),
                             sizeof(public_key));
  auto body = signed_bytes(x);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr,
                       reinterpret_cast<const unsigned char*>(body.data()),
                       body.size(), key);
  x.signature.assign(reinterpret_cast<const char*>(signature),
                     sizeof(signature));
  return true;
}

std::optional<std::string> verify_evidence(
  const evidence& x, const evidence_expectations& expected) {
  if (auto problem = check_integrity(x, expected))
    return problem;
  if (expected.expected_measurement
      && x.measurement != *expected.expected_measurement)
    return "measurement " + x.measurement
           + " does not match expected_measurement "
           + *expected.expected_measurement
           + " (the host or the workload is not the one measured)";
  if (x.debug != expected.debug)
    return std::string("the evidence's debug flag differs from the "
                       "enclave config's");
  if (expected.policy == nullptr)
    return std::nullopt;
  const auto& policy = *expected.policy;
  if (x.debug && !policy.allow_debug)
    return std::string("debug enclaves are not allowed by this node's "
                       "policy; spawn it with debug false, or start the "
                       "node with --tee-allow-debug");
  if (!policy.allowed_measurements.empty()
      && policy.allowed_measurements.count(x.measurement) == 0)
    return "measurement " + x.measurement
           + " is not in this node's list of accepted measurements; add "
             "it with --tee-measurement if this workload is trusted";
  return std::nullopt;
}

} // namespace corral::tee
