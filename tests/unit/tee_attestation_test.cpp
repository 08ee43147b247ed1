// Attestation evidence and the sealed channel without a node: what the
// verifier accepts and rejects, and what the channel detects.

#include <string>

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

struct channel_pair {
  kx_key_pair proxy;
  kx_key_pair host;
  session_keys proxy_keys;
  session_keys host_keys;
  std::string header;
  std::unique_ptr<channel_sealer> sealer;
  std::unique_ptr<channel_opener> opener;

  channel_pair() {
    BOOST_TEST_REQUIRE(
      proxy_session_keys(proxy, host.public_bytes(), proxy_keys));
    BOOST_TEST_REQUIRE(
      host_session_keys(host, proxy.public_bytes(), host_keys));
    sealer = std::make_unique<channel_sealer>(host_keys.transmit, header);
    bool valid = false;
    opener = std::make_unique<channel_opener>(proxy_keys.receive, header,
                                              valid);
    BOOST_TEST_REQUIRE(valid);
  }
};

BOOST_AUTO_TEST_CASE(sealed_frames_open_in_order) {
  channel_pair c;
  BOOST_TEST(c.opener->open(c.sealer->seal("one")).value_or("") == "one");
  BOOST_TEST(c.opener->open(c.sealer->seal("two")).value_or("") == "two");
}

BOOST_AUTO_TEST_CASE(sealed_frame_hides_plaintext) {
  channel_pair c;
  auto sealed = c.sealer->seal("secret payload");
  BOOST_TEST(sealed.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(tampered_frame_fails) {
  channel_pair c;
  auto sealed = c.sealer->seal("payload");
  sealed[3] ^= 0x01;
  BOOST_TEST(!c.opener->open(sealed).has_value());
}

BOOST_AUTO_TEST_CASE(replayed_frame_fails) {
  channel_pair c;
  auto sealed = c.sealer->seal("payload");
  BOOST_TEST(c.opener->open(sealed).has_value());
  BOOST_TEST(!c.opener->open(sealed).has_value());
}

BOOST_AUTO_TEST_CASE(reordered_frames_fail) {
  channel_pair c;
  auto first = c.sealer->seal("first");
  auto second = c.sealer->seal("second");
  BOOST_TEST(!c.opener->open(second).has_value());
}

BOOST_AUTO_TEST_CASE(broken_stream_stays_broken) {
  channel_pair c;
  auto first = c.sealer->seal("first");
  auto bad = first;
  bad[0] ^= 0x01;
  BOOST_TEST(!c.opener->open(bad).has_value());
  BOOST_TEST(!c.opener->open(first).has_value());
}

BOOST_AUTO_TEST_CASE(wrong_direction_key_fails) {
  channel_pair c;
  bool valid = false;
  channel_opener wrong(c.proxy_keys.transmit, c.header, valid);
  BOOST_TEST(valid);
  BOOST_TEST(!wrong.open(c.sealer->seal("payload")).has_value());
}

BOOST_AUTO_TEST_SUITE_END()
