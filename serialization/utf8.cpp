#include "serialization/utf8.hpp"

namespace corral {

namespace {

bool is_continuation(unsigned char byte) {
  return (byte & 0xc0) == 0x80;
}

} // namespace

bool is_valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }

    // The lead byte gives the length. The allowed range of the second byte
    // then excludes overlong forms, surrogates and code points above
    // U+10FFFF (RFC 3629, section 4).
    std::size_t length = 0;
    unsigned char second_min = 0x80;
    unsigned char second_max = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0)
        second_min = 0xa0;
      else if (lead == 0xed)
        second_max = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0)
        second_min = 0x90;
      else if (lead == 0xf4)
        second_max = 0x8f;
    } else {
      return false;
    }

    if (text.size() - i < length)
      return false;
    auto second = static_cast<unsigned char>(text[i + 1]);
    if (second < second_min || second > second_max)
      return false;
    for (std::size_t k = 2; k < length; ++k) {
      if (!is_continuation(static_cast<unsigned char>(text[i + k])))
        return false;
    }
    i += length;
  }
  return true;
}

std::string printable(const std::string& text) {
  bool utf8 = is_valid_utf8(text);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    bool escape = byte < 0x20 || byte == 0x7f || (byte > 0x7f && !utf8);
    if (!escape || c == '\t') {
      out += c;
      continue;
    }
    static const char digits[] = "0123456789abcdef";
    out += "\\x";
    out += digits[byte >> 4];
    out += digits[byte & 0xf];
  }
  return out;
}

} // namespace corral
