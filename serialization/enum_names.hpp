#pragma once

#include <string>

namespace corral {

/// True when `x` is one of its enum's enumerators. Works for every enum of
/// this folder that has a `to_string` and `from_string` pair, because
/// `to_string` returns "unknown" for other values, a name no `from_string`
/// accepts.
template <class Enum>
bool is_enumerator(Enum x) {
  Enum parsed{};
  return from_string(to_string(x), parsed) && parsed == x;
}

/// The names of all enumerators in value order, as "a, b or c", for error
/// messages. Only for enums with a one-byte underlying type.
template <class Enum>
std::string enumerator_names() {
  static_assert(sizeof(Enum) == 1, "scans the 256 one-byte values");
  std::string names;
  std::string last;
  for (unsigned value = 0; value < 256; ++value) {
    auto x = static_cast<Enum>(value);
    if (!is_enumerator(x))
      continue;
    if (!last.empty())
      names += names.empty() ? last : ", " + last;
    last = to_string(x);
  }
  return names.empty() ? last : names + " or " + last;
}

} // namespace corral
