#pragma once

#include <string>

namespace corral {

/// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no
/// surrogates (U+D800 to U+DFFF), nothing above U+10FFFF. The same rule
/// nlohmann::json applies when it parses or dumps a string.
bool is_valid_utf8(const std::string& text);

} // namespace corral
