// libFuzzer target for module loading. The input is compiled as a binary
// module and as WAT text. Every module that compiles is instantiated and
// run for a bounded number of instructions, as a spawn and a first message
// would run it.

#include <cstddef>
#include <cstdint>
#include <string>

#include "actors/error.hpp"
#include "backends/wasm/module_cache.hpp"
#include "backends/wasm/wasm_instance.hpp"
#include "tests/fuzz/fuzz_env.hpp"

namespace {

using namespace corral;
using namespace corral::wasm;

// Instructions for the start-up code and again for one message: enough for
// the example agents, small enough for thousands of inputs per second.
constexpr std::uint64_t budget = 100'000;

// Small limits keep one input's memory low: 4 pages is 256 KiB of linear
// memory.
instance_limits fuzz_limits() {
  instance_limits limits;
  limits.memory_pages = 4;
  limits.call_depth = 256;
  limits.value_stack = 16'384;
  return limits;
}

// The checks that hold for every run, whatever the guest did.
void check_run(const wasm_instance& instance, const run_result& result,
               const instance_limits& limits) {
  fuzz::require(result.instructions <= budget,
                "a run used more instructions than its budget");
  // wasm_instance lowers every declared maximum to one page above the
  // limit, so that the growth past the limit is seen and ends the run.
  fuzz::require(instance.memory_bytes()
                  <= (limits.memory_pages + 1) * page_bytes,
                "linear memory grew past the limit plus one page");
  if (result.status == run_status::paused)
    fuzz::require(instance.running(), "a paused call is not running");
  else
    fuzz::require(!instance.running(), "a finished call is still running");
}

void run_module(std::shared_ptr<const compiled_module> module) {
  auto limits = fuzz_limits();
  fuzz::recording_env env(fuzz::fuzz_message("fuzz", "payload"));
  auto created = wasm_instance::create(std::move(module), limits, env);
  if (!created) {
    fuzz::report("create", describe(created.error()));
    return;
  }
  auto& instance = **created;
  auto error = instance.initialize(budget);
  fuzz::require(instance.memory_bytes()
                  <= (limits.memory_pages + 1) * page_bytes,
                "start-up code grew memory past the limit plus one page");
  fuzz::report("initialize", error ? describe(error) : "ok");
  if (error)
    return;

  const auto* msg = env.current_message();
  run_result failure;
  if (!instance.begin_message(1, static_cast<std::uint32_t>(msg->topic.size()),
                              static_cast<std::uint32_t>(msg->payload.size()),
                              failure)) {
    fuzz::report("begin_message", failure.detail);
    return;
  }
  auto result = instance.run(budget);
  fuzz::report("run", fuzz::describe_run(result));
  check_run(instance, result, limits);
  if (result.status == run_status::exited)
    fuzz::require(instance.host().exit_code.has_value(),
                  "an exited run has no exit code");
  instance.host().flush_output();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fuzz::install_deterministic_random();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  fuzz::reset_random();
  std::string bytes(reinterpret_cast<const char*>(data), size);
  for (bool text : {false, true}) {
    auto module = compile_module(text ? "fuzz.wat" : "fuzz.wasm", bytes, text);
    fuzz::report(text ? "compile as text" : "compile as binary",
                 module ? "ok" : describe(module.error()));
    if (module)
      run_module(*module);
  }
  return 0;
}
