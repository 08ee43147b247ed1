#include "backends/builtin_backends.hpp"

#include "backends/container/container_launcher.hpp"
#include "backends/native/native_launcher.hpp"
#include "backends/tee/tee_launcher.hpp"
#include "backends/wasm/wasm_launcher.hpp"

namespace corral {

backend_registry builtin_backends() {
  backend_registry result;
  result.add("Native", std::make_shared<native_launcher>());
  result.add("Wasm", std::make_shared<wasm::wasm_launcher>());
  result.add("Container", std::make_shared<container::container_launcher>());
  // The default policy accepts no enclave type; a node's config replaces
  // this launcher with one that allows what it accepts.
  result.add("Tee", std::make_shared<tee::tee_launcher>(tee::tee_options{}));
  return result;
}

} // namespace corral
