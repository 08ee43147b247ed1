#pragma once

#include <string>

namespace corral {

/// True when `text` is well-formed UTF-8 (RFC 3629): no overlong forms, no
/// surrogates (U+D800 to U+DFFF), nothing above U+10FFFF. The same rule
/// nlohmann::json applies when it parses or dumps a string.
bool is_valid_utf8(const std::string& text);

/// Returns `text` with control characters written as \xNN, and also bytes
/// above 0x7f when `text` is not valid UTF-8. Tabs stay. Untrusted text (a
/// program's output, a guest's or an enclave host's log line) quoted in
/// the node log then cannot forge lines or send terminal escapes.
std::string printable(const std::string& text);

} // namespace corral
