#pragma once

#include <string>

namespace corral::tee {

/// Faults an enclave host injects on request, so that tests can check
/// that the proxy detects them. The host accepts them in simulation only.
enum class test_fault {
  none,
  tamper_signature,  ///< flip a bit of the evidence signature
  replay_nonce,      ///< sign evidence for another nonce than the one sent
  tamper_ciphertext, ///< flip a bit of the first sealed reply
  replay_ciphertext, ///< send the first sealed reply twice
  skip_frame_number, ///< seal the first reply twice and send only the second
  crash_on_message,  ///< abort() when the first message arrives
  exit_before_evidence, ///< write a line to stderr and exit 1 at the challenge
  stall_before_evidence, ///< sleep at the challenge until killed
  corrupt_ring_index, ///< publish a write index beyond the ring at the first message
  corrupt_ring_length, ///< publish an oversized frame length at the first message
  stall_reading, ///< stop reading the channel after the first reply
  downgrade_cipher, ///< state another channel cipher in the evidence than the node chose
};

/// The name used on the host's command line (`--test-fault NAME`).
const char* to_string(test_fault x);

/// Reads `--test-fault NAME` from the host's arguments; none when absent
/// or unknown.
test_fault parse_test_fault(int argc, char** argv);

} // namespace corral::tee
