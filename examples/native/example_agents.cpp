#include "examples/native/example_agents.hpp"

#include "backends/native/agent_registry.hpp"
#include "examples/native/counter.hpp"
#include "examples/native/worker.hpp"

namespace corral::examples {

void register_example_agents() {
  register_agent_type<counter>("counter");
  register_agent_type<worker>("worker");
}

} // namespace corral::examples
