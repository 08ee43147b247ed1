#pragma once

namespace corral::examples {

/// Registers the example agent types "counter" and "worker" in the
/// process-wide agent registry. Idempotent.
void register_example_agents();

} // namespace corral::examples
