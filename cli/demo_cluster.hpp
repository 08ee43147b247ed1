#pragma once

#include <string>

#include "serialization/result.hpp"

namespace corral::cli {

/// Runs the cluster part of `corral demo`. It starts two cluster nodes in
/// this process on 127.0.0.1, with free ports and CurveZMQ keys made for
/// the run. Then it spawns agents from one node on the other through the
/// Remote backend, exchanges messages with them, prints each step and
/// stops both nodes.
/// `modules` is the folder of the example WASM agents. Without echo.wat
/// there, only the native agent runs remotely. Returns a line for the
/// demo's summary, or the failure of the step that went wrong.
result<std::string> run_demo_cluster(const std::string& modules);

} // namespace corral::cli
