#include "net/curve_keys.hpp"

#include <array>

#include <zmq.h>

#include "serialization/json_reader.hpp"

namespace corral {

namespace {

/// The Z85 alphabet of ZeroMQ RFC 32, in the order of the digit values.
constexpr std::string_view z85_alphabet =
  "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
  ".-:+=^!/*?&<>()[]{}@%$#";

constexpr std::size_t curve_key_bytes = 32;

/// Returns the position of the first character outside Z85, or npos.
std::size_t find_non_z85(const std::string& text) {
  for (std::size_t i = 0; i < text.size(); ++i)
    if (z85_alphabet.find(text[i]) == std::string_view::npos)
      return i;
  return std::string::npos;
}

} // namespace

bool curve_available() {
  return zmq_has("curve") != 0;
}

std::optional<std::string> curve_key_error(const std::string& text,
                                           const std::string& what) {
  if (text.size() != curve_key_text_length)
    return what + " " + quote_for_error(text) + " has "
           + std::to_string(text.size()) + " characters; a Curve key in Z85 "
           + "text has 40, as `corral keygen` writes it";
  if (auto at = find_non_z85(text); at != std::string::npos)
    return what + " " + quote_for_error(text) + " contains "
           + quote_for_error(std::string(1, text[at])) + " at position "
           + std::to_string(at + 1)
           + ", which is not a Z85 character; copy the key again from the "
             ".pub file that `corral keygen` wrote";
  if (decode_curve_key(text).empty())
    return what + " " + quote_for_error(text) + " is not valid Z85 text";
  return std::nullopt;
}

result<curve_key_pair> make_curve_key_pair() {
  if (!curve_available())
    return failure{errc::internal_error,
                   "this libzmq has no CURVE support; install a libzmq "
                   "built with libsodium (Debian: libzmq5)"};
  std::array<char, curve_key_text_length + 1> public_key{};
  std::array<char, curve_key_text_length + 1> secret_key{};
  if (zmq_curve_keypair(public_key.data(), secret_key.data()) != 0)
    return failure{errc::internal_error,
                   std::string{"zmq_curve_keypair failed: "}
                     + zmq_strerror(zmq_errno())};
  return curve_key_pair{public_key.data(), secret_key.data()};
}

result<std::string> derive_curve_public_key(const std::string& secret_key) {
  if (secret_key.size() != curve_key_text_length
      || find_non_z85(secret_key) != std::string::npos
      || decode_curve_key(secret_key).empty())
    return failure{errc::invalid_request,
                   "the secret key is not 40 characters of Z85 text"};
  std::array<char, curve_key_text_length + 1> public_key{};
  if (zmq_curve_public(public_key.data(), secret_key.c_str()) != 0)
    return failure{errc::internal_error,
                   std::string{"zmq_curve_public failed: "}
                     + zmq_strerror(zmq_errno())};
  return std::string{public_key.data()};
}

std::string decode_curve_key(const std::string& text) {
  if (text.size() != curve_key_text_length
      || find_non_z85(text) != std::string::npos)
    return {};
  std::array<std::uint8_t, curve_key_bytes> bytes{};
  if (zmq_z85_decode(bytes.data(), text.c_str()) == nullptr)
    return {};
  return std::string{reinterpret_cast<const char*>(bytes.data()),
                     bytes.size()};
}

std::string encode_curve_key(const std::string& bytes) {
  if (bytes.size() != curve_key_bytes)
    return {};
  std::array<char, curve_key_text_length + 1> text{};
  if (zmq_z85_encode(text.data(),
                     reinterpret_cast<const std::uint8_t*>(bytes.data()),
                     bytes.size())
      == nullptr)
    return {};
  return std::string{text.data()};
}

} // namespace corral
