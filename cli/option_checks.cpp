#include "cli/option_checks.hpp"

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

CLI::Validator non_empty(const std::string& hint) {
  return CLI::Validator{[hint](std::string& value) -> std::string {
                          if (!value.empty())
                            return {};
                          return "the value is empty; " + hint;
                        },
                        "", "non_empty"};
}

} // namespace corral::cli
