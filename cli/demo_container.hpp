#pragma once

#include "actors/node.hpp"

namespace corral::cli {

/// Runs the demo's container step on `instance`: builds a small image
/// with examples/container/build-image.sh, spawns a busybox sh echo agent
/// in it, sends it one request, stops it and removes the image. When Podman or the
/// example files are missing or the engine fails, it prints why it skipped
/// the step instead of failing the demo.
void run_container_step(node& instance);

} // namespace corral::cli
