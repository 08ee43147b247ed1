#pragma once

#include <string>

#include "serialization/result.hpp"

namespace corral {

/// Encodes `bytes` as standard base64 (RFC 4648, section 4) with '='
/// padding.
std::string base64_encode(const std::string& bytes);

/// Decodes standard base64 with '=' padding, as `base64_encode` writes it.
/// Whitespace, the URL-safe alphabet and missing padding are rejected with
/// failure{errc::invalid_request, ...} naming the offending index.
result<std::string> base64_decode(const std::string& text);

} // namespace corral
