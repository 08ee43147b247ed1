// Attestation evidence and the sealed channel without a node: what the
// verifier accepts and rejects, and what the channel detects.

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "backends/tee/attestation.hpp"
#include "backends/tee/secure_channel.hpp"

using namespace corral;
using namespace corral::tee;

namespace {

struct sodium_setup {
  sodium_setup() {
    BOOST_TEST_REQUIRE(sodium_init() >= 0);
  }
};

const std::string host_digest(64, '1');
const std::string workload_digest(64, '2');

std::string fresh_nonce() {
  std::string nonce(nonce_bytes, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

/// Genuine simulated evidence for `nonce`, signed by `key`.
evidence make_evidence(const simulated_platform_key& key,
                       const std::string& nonce) {
  evidence x;
  x.platform = "simulation";
  x.simulated = true;
  x.host_digest = host_digest;
  x.workload_digest = workload_digest;
  x.measurement = combine_measurement(host_digest, workload_digest);
  x.nonce = nonce;
  kx_key_pair host;
  x.host_public_key = host.public_bytes();
  x.channel_cipher = static_cast<std::uint8_t>(channel_cipher::aes256gcm);
  x.report_data = make_report_data(x.nonce, x.host_public_key);
  BOOST_TEST_REQUIRE(sign_evidence(x, key.secret_bytes()));
  return x;
}

struct verifier {
  simulated_platform_key key;
  tee_policy policy;
  std::string nonce = fresh_nonce();

  verifier() {
    policy.allowed_types = {enclave_type::simulation};
  }

  evidence_expectations expectations() const {
    evidence_expectations e;
    e.nonce = nonce;
    e.trusted_signer = key.public_bytes();
    e.policy = &policy;
    return e;
  }

  std::string verdict(const evidence& x) const {
    return verify_evidence(x, expectations()).value_or("accepted");
  }
};

bool contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(sodium_setup);

BOOST_AUTO_TEST_SUITE(evidence_checks)

BOOST_AUTO_TEST_CASE(genuine_evidence_is_accepted) {
  verifier v;
  BOOST_TEST(v.verdict(make_evidence(v.key, v.nonce)) == "accepted");
}

BOOST_AUTO_TEST_CASE(replayed_evidence_is_rejected) {
  verifier v;
  auto earlier = make_evidence(v.key, fresh_nonce());
  BOOST_TEST(contains(v.verdict(earlier), "another nonce"));
}

BOOST_AUTO_TEST_CASE(other_cipher_is_rejected) {
  // Signed evidence that names another cipher than the node chose: a
  // downgrade, whether the host or a changed hello asked for it.
  verifier v;
  auto x = make_evidence(v.key, v.nonce);
  auto expected = v.expectations();
  expected.cipher = channel_cipher::chacha20poly1305_ietf;
  BOOST_TEST(contains(verify_evidence(x, expected).value_or("accepted"),
                      "names the channel cipher AES-256-GCM, but the node "
                      "chose ChaCha20-Poly1305-IETF (a changed or "
                      "downgraded cipher)"));
}

BOOST_AUTO_TEST_CASE(unknown_cipher_is_rejected) {
  verifier v;
  evidence x = make_evidence(v.key, v.nonce);
  x.channel_cipher = 9;
  BOOST_TEST_REQUIRE(sign_evidence(x, v.key.secret_bytes()));
  BOOST_TEST(contains(v.verdict(x), "unknown cipher 9"), v.verdict(x));
}

BOOST_AUTO_TEST_CASE(changed_field_breaks_signature) {
  verifier v;
  auto x = make_evidence(v.key, v.nonce);
  x.workload_digest = std::string(64, '3');
  x.measurement = combine_measurement(x.host_digest, x.workload_digest);
  BOOST_TEST(contains(v.verdict(x), "signature is invalid"));
}

BOOST_AUTO_TEST_CASE(other_signer_is_rejected) {
  verifier v;
  simulated_platform_key stranger;
  BOOST_TEST(contains(v.verdict(make_evidence(stranger, v.nonce)),
                      "not the platform key"));
}

BOOST_AUTO_TEST_CASE(hardware_claim_is_rejected) {
  verifier v;
  auto x = make_evidence(v.key, v.nonce);
  x.simulated = false;
  BOOST_TEST(contains(v.verdict(x), "claims hardware"));
}

BOOST_AUTO_TEST_CASE(other_platform_is_rejected) {
  verifier v;
  auto x = make_evidence(v.key, v.nonce);
  x.platform = "sgx";
  BOOST_TEST(contains(v.verdict(x), "platform \"sgx\""));
}

BOOST_AUTO_TEST_CASE(expected_measurement_must_match) {
  verifier v;
  auto x = make_evidence(v.key, v.nonce);
  auto e = v.expectations();
  e.expected_measurement = x.measurement;
  BOOST_TEST(!verify_evidence(x, e).has_value());
  e.expected_measurement = std::string(64, 'f');
  BOOST_TEST(contains(verify_evidence(x, e).value_or(""),
                      "does not match expected_measurement"));
}

BOOST_AUTO_TEST_CASE(measurement_depends_on_both_parts) {
  auto both = combine_measurement(host_digest, workload_digest);
  BOOST_TEST(both != combine_measurement(std::string(64, '9'),
                                         workload_digest));
  BOOST_TEST(both != combine_measurement(host_digest, std::string(64, '9')));
  BOOST_TEST(is_measurement(both));
}

BOOST_AUTO_TEST_CASE(policy_type_needs_listing) {
  tee_policy policy;
  BOOST_TEST(contains(policy_type_error(policy, enclave_type::simulation)
                        .value_or(""),
                      "--tee-allow simulation"));
  policy.allowed_types = {enclave_type::simulation};
  BOOST_TEST(!policy_type_error(policy, enclave_type::simulation));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(sealed_channel)

/// Returns the ciphers this CPU can run: ChaCha20-Poly1305-IETF always,
/// and AES-256-GCM where the CPU has AES-NI.
std::vector<channel_cipher> usable_ciphers() {
  std::vector<channel_cipher> ciphers{channel_cipher::chacha20poly1305_ietf};
  if (cipher_available(channel_cipher::aes256gcm))
    ciphers.push_back(channel_cipher::aes256gcm);
  return ciphers;
}

/// One direction of a session: the host seals, the proxy opens.
struct channel_pair {
  kx_key_pair proxy;
  kx_key_pair host;
  session_keys proxy_keys;
  session_keys host_keys;
  std::unique_ptr<channel_sealer> sealer;
  std::unique_ptr<channel_opener> opener;

  explicit channel_pair(channel_cipher cipher = preferred_cipher(),
                        std::uint64_t first_number = 0) {
    BOOST_TEST_REQUIRE(
      proxy_session_keys(proxy, host.public_bytes(), proxy_keys));
    BOOST_TEST_REQUIRE(
      host_session_keys(host, proxy.public_bytes(), host_keys));
    sealer = std::make_unique<channel_sealer>(cipher, host_keys.transmit,
                                              first_number);
    opener = std::make_unique<channel_opener>(cipher, proxy_keys.receive,
                                              first_number);
  }

  std::string seal(const std::string& plain) {
    auto sealed = sealer->seal(plain);
    BOOST_TEST_REQUIRE(sealed.has_value(), sealer->error());
    return *sealed;
  }
};

BOOST_AUTO_TEST_CASE(preferred_cipher_is_usable) {
  BOOST_TEST(cipher_available(preferred_cipher()));
  if (cipher_available(channel_cipher::aes256gcm))
    BOOST_TEST((preferred_cipher() == channel_cipher::aes256gcm));
}

BOOST_AUTO_TEST_CASE(sealed_frames_open_in_order) {
  for (auto cipher : usable_ciphers()) {
    channel_pair c{cipher};
    BOOST_TEST(c.opener->open(c.seal("one")).value_or("") == "one",
               to_string(cipher));
    BOOST_TEST(c.opener->open(c.seal("two")).value_or("") == "two",
               to_string(cipher));
    BOOST_TEST(c.opener->open(c.seal("")).value_or("x") == "",
               to_string(cipher));
  }
}

BOOST_AUTO_TEST_CASE(sealed_frame_hides_plaintext) {
  for (auto cipher : usable_ciphers()) {
    channel_pair c{cipher};
    auto sealed = c.seal("secret payload");
    BOOST_TEST(sealed.find("secret") == std::string::npos, to_string(cipher));
    BOOST_TEST(sealed.size() == 14 + sealed_overhead, to_string(cipher));
  }
}

BOOST_AUTO_TEST_CASE(tampered_frame_fails) {
  for (auto cipher : usable_ciphers()) {
    channel_pair c{cipher};
    auto sealed = c.seal("payload");
    sealed[frame_number_bytes + 3] ^= 0x01;
    BOOST_TEST(!c.opener->open(sealed).has_value(), to_string(cipher));
    BOOST_TEST(contains(c.opener->error(),
                        "frame number 0 failed authentication"),
               c.opener->error());
  }
}

BOOST_AUTO_TEST_CASE(tampered_tag_fails) {
  channel_pair c;
  auto sealed = c.seal("payload");
  sealed.back() ^= 0x01;
  BOOST_TEST(!c.opener->open(sealed).has_value());
  BOOST_TEST(contains(c.opener->error(), "failed authentication"));
}

BOOST_AUTO_TEST_CASE(replayed_frame_fails) {
  channel_pair c;
  auto sealed = c.seal("payload");
  BOOST_TEST(c.opener->open(sealed).has_value());
  BOOST_TEST(!c.opener->open(sealed).has_value());
  BOOST_TEST(contains(c.opener->error(),
                      "frame number 0 arrived where frame number 1 was "
                      "expected (replayed, reordered or dropped)"),
             c.opener->error());
}

BOOST_AUTO_TEST_CASE(reordered_frames_fail) {
  channel_pair c;
  auto first = c.seal("first");
  auto second = c.seal("second");
  BOOST_TEST(!c.opener->open(second).has_value());
  BOOST_TEST(contains(c.opener->error(),
                      "frame number 1 arrived where frame number 0 was "
                      "expected"),
             c.opener->error());
}

BOOST_AUTO_TEST_CASE(changed_frame_number_fails) {
  // A frame relabelled as the expected one fails authentication, because
  // the number is the nonce.
  channel_pair c;
  auto first = c.seal("first");
  auto second = c.seal("second");
  std::copy(first.begin(), first.begin() + frame_number_bytes,
            second.begin());
  BOOST_TEST(!c.opener->open(second).has_value());
  BOOST_TEST(contains(c.opener->error(),
                      "frame number 0 failed authentication"),
             c.opener->error());
}

BOOST_AUTO_TEST_CASE(short_frame_fails) {
  channel_pair c;
  auto sealed = c.seal("");
  sealed.pop_back();
  BOOST_TEST(!c.opener->open(sealed).has_value());
  BOOST_TEST(contains(c.opener->error(), "shorter than its frame number"),
             c.opener->error());
}

BOOST_AUTO_TEST_CASE(broken_stream_stays_broken) {
  channel_pair c;
  auto first = c.seal("first");
  auto bad = first;
  bad[frame_number_bytes] ^= 0x01;
  BOOST_TEST(!c.opener->open(bad).has_value());
  auto error = c.opener->error();
  BOOST_TEST(!c.opener->open(first).has_value());
  BOOST_TEST(c.opener->error() == error);
}

BOOST_AUTO_TEST_CASE(wrong_direction_key_fails) {
  channel_pair c;
  channel_opener wrong(preferred_cipher(), c.proxy_keys.transmit);
  BOOST_TEST(!wrong.open(c.seal("payload")).has_value());
  BOOST_TEST(contains(wrong.error(), "failed authentication"));
}

BOOST_AUTO_TEST_CASE(other_cipher_fails) {
  if (!cipher_available(channel_cipher::aes256gcm))
    return;
  channel_pair c{channel_cipher::aes256gcm};
  channel_opener other(channel_cipher::chacha20poly1305_ietf,
                       c.proxy_keys.receive);
  BOOST_TEST(!other.open(c.seal("payload")).has_value());
  BOOST_TEST(contains(other.error(), "failed authentication"));
}

BOOST_AUTO_TEST_CASE(frames_cross_key_change) {
  // Both sides move to the next derived key at the same frame number.
  for (auto cipher : usable_ciphers()) {
    channel_pair c{cipher, frames_per_key - 2};
    for (int i = 0; i < 4; ++i) {
      auto text = "frame " + std::to_string(i);
      BOOST_TEST(c.opener->open(c.seal(text)).value_or("") == text,
                 to_string(cipher) << ", " << c.opener->error());
    }
  }
}

BOOST_AUTO_TEST_CASE(sealer_stops_at_frame_number_limit) {
  channel_pair c{preferred_cipher(), frame_number_limit - 1};
  auto last = c.seal("last");
  BOOST_TEST(c.opener->open(last).value_or("") == "last");
  BOOST_TEST(!c.sealer->seal("one too many").has_value());
  BOOST_TEST(contains(c.sealer->error(), "every frame number"),
             c.sealer->error());
  std::string out = "kept";
  BOOST_TEST(!c.sealer->seal_to("one too many", out));
  BOOST_TEST(out == "kept");
}

BOOST_AUTO_TEST_CASE(opener_stops_at_frame_number_limit) {
  channel_pair c{preferred_cipher(), frame_number_limit - 1};
  auto last = c.seal("last");
  BOOST_TEST(c.opener->open(last).has_value());
  // A frame that claims the limit's number, which no sealer produces.
  auto forged = last;
  std::fill(forged.begin(), forged.begin() + frame_number_bytes, '\xff');
  BOOST_TEST(!c.opener->open(forged).has_value());
  BOOST_TEST(contains(c.opener->error(), "every frame number"),
             c.opener->error());
}

BOOST_AUTO_TEST_SUITE_END()
