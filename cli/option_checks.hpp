#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

namespace corral::cli {

/// A CLI11 check for options of unsigned type. CLI11 2.1 converts "-1" to
/// the largest unsigned value, so this check rejects any value that starts
/// with '-' before the conversion runs.
CLI::Validator non_negative_integer();

/// A CLI11 check for options of unsigned type that must lie from `min` to
/// `max`. It names the value when it is negative, not a whole number, or
/// out of range, before CLI11 converts it (CLI11 2.1 lets numbers above
/// the type's maximum through).
CLI::Validator whole_number_in(std::uint64_t min, std::uint64_t max);

/// A CLI11 check that rejects an empty value, so that e.g. `--type ""` fails
/// instead of silently selecting the default. `hint` follows "the value is
/// empty; " in the error and names what to do instead.
CLI::Validator non_empty(const std::string& hint);

} // namespace corral::cli
