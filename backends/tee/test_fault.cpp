#include "backends/tee/test_fault.hpp"

#include <cstring>

namespace corral::tee {

const char* to_string(test_fault x) {
  switch (x) {
    case test_fault::none:
      return "none";
    case test_fault::tamper_signature:
      return "tamper_signature";
    case test_fault::replay_nonce:
      return "replay_nonce";
    case test_fault::tamper_ciphertext:
      return "tamper_ciphertext";
    case test_fault::replay_ciphertext:
      return "replay_ciphertext";
    case test_fault::skip_frame_number:
      return "skip_frame_number";
    case test_fault::crash_on_message:
      return "crash_on_message";
    case test_fault::exit_before_evidence:
      return "exit_before_evidence";
    case test_fault::stall_before_evidence:
      return "stall_before_evidence";
    case test_fault::corrupt_ring_index:
      return "corrupt_ring_index";
    case test_fault::corrupt_ring_length:
      return "corrupt_ring_length";
    case test_fault::stall_reading:
      return "stall_reading";
    case test_fault::downgrade_cipher:
      return "downgrade_cipher";
  }
  return "none";
}

test_fault parse_test_fault(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--test-fault") != 0)
      continue;
    for (auto fault : {test_fault::tamper_signature, test_fault::replay_nonce,
                       test_fault::tamper_ciphertext,
                       test_fault::replay_ciphertext,
                       test_fault::skip_frame_number,
                       test_fault::crash_on_message,
                       test_fault::exit_before_evidence,
                       test_fault::stall_before_evidence,
                       test_fault::corrupt_ring_index,
                       test_fault::corrupt_ring_length,
                       test_fault::stall_reading,
                       test_fault::downgrade_cipher})
      if (std::strcmp(argv[i + 1], to_string(fault)) == 0)
        return fault;
  }
  return test_fault::none;
}

} // namespace corral::tee
