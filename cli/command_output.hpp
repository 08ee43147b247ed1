#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace corral::cli {

/// Prints `value` to stdout as indented JSON, for --json.
void print_json(const nlohmann::json& value);

/// Prints rows under a header, each column as wide as its widest cell and
/// separated by two spaces.
void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);

/// Formats a duration for people: "850ms", "12s", "3m05s", "2h01m",
/// "4d03h". Negative durations read as 0ms.
std::string format_duration(std::int64_t milliseconds);

/// Formats milliseconds since the Unix epoch as local "HH:MM:SS.mmm".
std::string format_clock_time(std::int64_t epoch_milliseconds);

/// Milliseconds since the Unix epoch now.
std::int64_t now_epoch_milliseconds();

/// Returns a JSON value as text without quotes for strings, "-" for null.
std::string cell_text(const nlohmann::json& value);

} // namespace corral::cli
