#pragma once

#include <string>

#include "serialization/result.hpp"

namespace corral::cli {

/// Reads the whole file at `path`, or stdin for "-". A failure is an
/// invalid_request whose detail names `what` (e.g. "the payload file"),
/// the path and the system's reason, e.g. "cannot read the payload file
/// \"x\": No such file or directory".
result<std::string> read_input_file(const std::string& path,
                                    const std::string& what);

} // namespace corral::cli
