#pragma once

#include <optional>
#include <string>

#include "serialization/result.hpp"

namespace corral {

/// Characters of a Curve key in Z85 text: 32 bytes encode to 40.
inline constexpr std::size_t curve_key_text_length = 40;

/// A Curve key pair in Z85 text, as `zmq_curve_keypair` makes it.
struct curve_key_pair {
  std::string public_key;
  /// Secret: never log it or put it in an error message.
  std::string secret_key;
};

/// Returns true when the linked libzmq supports the CURVE mechanism, which
/// needs libzmq built with libsodium or its bundled TweetNaCl.
bool curve_available();

/// Returns an error naming the problem when `text` is not a 40-character
/// Z85 Curve key, or nothing. `what` names the key in the message, e.g.
/// "the public key of n2". The text is quoted in the message, so pass
/// only public keys.
std::optional<std::string> curve_key_error(const std::string& text,
                                           const std::string& what);

/// Makes a new key pair with libzmq's `zmq_curve_keypair`. Fails with
/// internal_error when libzmq has no CURVE support.
result<curve_key_pair> make_curve_key_pair();

/// Derives the public key of a Z85 secret key with `zmq_curve_public`.
/// Fails with invalid_request when `secret_key` is not a Z85 key, without
/// quoting it.
result<std::string> derive_curve_public_key(const std::string& secret_key);

/// Decodes a valid Z85 key into its 32 bytes, the form that ZAP requests
/// carry. Returns an empty string for invalid text.
std::string decode_curve_key(const std::string& text);

/// Returns the Z85 text of a 32-byte key, or an empty string for another
/// size.
std::string encode_curve_key(const std::string& bytes);

} // namespace corral
