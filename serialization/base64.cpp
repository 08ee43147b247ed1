#include "serialization/base64.hpp"

#include <cstdint>

namespace corral {

namespace {

constexpr char alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Returns the 6-bit value of a base64 character, or -1 outside the
/// alphabet.
int sextet(char c) {
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

failure invalid(const std::string& what) {
  return failure{errc::invalid_request, "invalid base64: " + what};
}

} // namespace

std::string base64_encode(const std::string& bytes) {
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16
                          | static_cast<unsigned char>(bytes[i + 1]) << 8
                          | static_cast<unsigned char>(bytes[i + 2]);
    text += alphabet[group >> 18 & 0x3f];
    text += alphabet[group >> 12 & 0x3f];
    text += alphabet[group >> 6 & 0x3f];
    text += alphabet[group & 0x3f];
  }

  // One or two bytes left over become two or three characters plus padding.
  auto left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2)
      group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    text += alphabet[group >> 18 & 0x3f];
    text += alphabet[group >> 12 & 0x3f];
    text += left == 2 ? alphabet[group >> 6 & 0x3f] : '=';
    text += '=';
  }
  return text;
}

result<std::string> base64_decode(const std::string& text) {
  if (text.size() % 4 != 0)
    return invalid("length " + std::to_string(text.size())
                   + " is not a multiple of 4");

  // Padding may only be the last one or two characters.
  std::size_t padding = 0;
  if (!text.empty() && text.back() == '=')
    padding = text[text.size() - 2] == '=' ? 2 : 1;
  auto data_chars = text.size() - padding;

  std::string bytes;
  bytes.reserve(text.size() / 4 * 3);
  std::uint32_t group = 0;
  int bits = 0;
  for (std::size_t i = 0; i < data_chars; ++i) {
    int value = sextet(text[i]);
    if (value < 0)
      return invalid("unexpected character at index " + std::to_string(i));
    group = (group << 6 | static_cast<std::uint32_t>(value)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes += static_cast<char>(group >> bits & 0xff);
    }
  }
  return bytes;
}

} // namespace corral
