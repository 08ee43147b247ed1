#include "cli/command_output.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>

namespace corral::cli {

void print_json(const nlohmann::json& value) {
  std::cout << value.dump(2, ' ', false,
                          nlohmann::json::error_handler_t::replace)
            << "\n";
}

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths;
  for (const auto& cell : header)
    widths.push_back(cell.size());
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());

  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  };
  print_row(header);
  for (const auto& row : rows)
    print_row(row);
}

std::string format_duration(std::int64_t milliseconds) {
  if (milliseconds < 0)
    milliseconds = 0;
  if (milliseconds < 1000)
    return std::to_string(milliseconds) + "ms";

  auto seconds = milliseconds / 1000;
  char text[32];
  if (seconds < 60)
    std::snprintf(text, sizeof(text), "%llds",
                  static_cast<long long>(seconds));
  else if (seconds < 3600)
    std::snprintf(text, sizeof(text), "%lldm%02llds",
                  static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  else if (seconds < 86400)
    std::snprintf(text, sizeof(text), "%lldh%02lldm",
                  static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  else
    std::snprintf(text, sizeof(text), "%lldd%02lldh",
                  static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  return text;
}

std::string format_clock_time(std::int64_t epoch_milliseconds) {
  std::time_t seconds = static_cast<std::time_t>(epoch_milliseconds / 1000);
  std::tm local{};
  ::localtime_r(&seconds, &local);
  char text[32];
  std::snprintf(text, sizeof(text), "%02d:%02d:%02d.%03d", local.tm_hour,
                local.tm_min, local.tm_sec,
                static_cast<int>(epoch_milliseconds % 1000));
  return text;
}

std::int64_t now_epoch_milliseconds() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string cell_text(const nlohmann::json& value) {
  if (value.is_null())
    return "-";
  if (value.is_string())
    return value.get<std::string>();
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace corral::cli
