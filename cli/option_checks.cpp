#include "cli/option_checks.hpp"

#include <cerrno>
#include <cstdlib>

namespace corral::cli {

CLI::Validator non_negative_integer() {
  return CLI::Validator{[](std::string& value) -> std::string {
                          auto first = value.find_first_not_of(" \t");
                          if (first == std::string::npos || value[first] != '-')
                            return {};
                          return value + " is negative; give a whole number "
                                         "of 0 or more";
                        },
                        "", "non_negative_integer"};
}

CLI::Validator whole_number_in(std::uint64_t min, std::uint64_t max) {
  auto range = "give a whole number from " + std::to_string(min) + " to "
               + std::to_string(max);
  return CLI::Validator{
    [min, max, range](std::string& value) -> std::string {
      auto first = value.find_first_not_of(" \t");
      if (first != std::string::npos && value[first] == '-')
        return value + " is negative; " + range;
      auto digits = value.substr(first == std::string::npos ? 0 : first);
      if (digits.empty()
          || digits.find_first_not_of("0123456789") != std::string::npos)
        return value + " is not a whole number; " + range;
      errno = 0;
      auto number = std::strtoull(digits.c_str(), nullptr, 10);
      if (errno == ERANGE || number > max)
        return value + " is above the maximum; " + range;
      if (number < min)
        return value + " is below the minimum; " + range;
      return {};
    },
    "", "whole_number_in"};
}

CLI::Validator non_empty(const std::string& hint) {
  return CLI::Validator{[hint](std::string& value) -> std::string {
                          if (!value.empty())
                            return {};
                          return "the value is empty; " + hint;
                        },
                        "", "non_empty"};
}

} // namespace corral::cli
