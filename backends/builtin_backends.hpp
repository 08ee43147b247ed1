#pragma once

#include "actors/backend.hpp"

namespace corral {

/// Returns a registry with every backend this build of corral includes.
/// Variants missing from it are refused at spawn with
/// `backend_not_available`.
backend_registry builtin_backends();

} // namespace corral
