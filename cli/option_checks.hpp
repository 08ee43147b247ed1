#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace corral::cli {

/// A CLI11 check for options of unsigned type. CLI11 2.1 converts "-1" to
/// the largest unsigned value, so this check rejects any value that starts
/// with '-' before the conversion runs.
CLI::Validator non_negative_integer();

/// A CLI11 check that rejects an empty value, so that e.g. `--type ""` fails
/// instead of silently selecting the default. `hint` follows "the value is
/// empty; " in the error and names what to do instead.
CLI::Validator non_empty(const std::string& hint);

} // namespace corral::cli
