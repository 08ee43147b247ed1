#include "backends/wasm/wasm_instance.hpp"

#include <atomic>

#include "actors/error.hpp"
#include "backends/wasm/module_compiler.hpp"
#include "backends/wasm/thread_access.hpp"

namespace corral::wasm {

namespace wi = wabt::interp;

namespace {

std::atomic<std::int64_t> live_instances{0};

// The declared maximum is lowered to one page above the agent's limit, so
// that growing past the limit succeeds once and the next check ends the
// agent with limit_exceeded{memory} rather than a silent -1.
wi::ModuleDesc instance_desc(const compiled_module& m,
                             std::uint64_t memory_pages) {
  wi::ModuleDesc desc = m.desc;
  desc.starts.clear();
  for (auto& memory : desc.memories) {
    auto& limits = memory.type.limits;
    auto cap = std::min<std::uint64_t>(memory_pages + 1, 65536);
    if (!limits.has_max || limits.max > cap) {
      limits.max = cap;
      limits.has_max = true;
    }
  }
  return desc;
}

std::string pages(std::uint64_t count) {
  return std::to_string(count) + (count == 1 ? " page" : " pages");
}

} // namespace

wasm_instance::wasm_instance(std::shared_ptr<const compiled_module> module,
                             const instance_limits& limits)
  : module_(std::move(module)), limits_(limits) {
  live_instances.fetch_add(1, std::memory_order_relaxed);
}

wasm_instance::~wasm_instance() {
  // Roots first, then the thread, then the store that owns the objects.
  current_.reset();
  handler_.reset();
  memory_.reset();
  instance_.reset();
  thread_.reset();
  store_.reset();
  live_instances.fetch_sub(1, std::memory_order_relaxed);
}

std::int64_t wasm_instance::live_count() {
  return live_instances.load(std::memory_order_relaxed);
}

caf::expected<std::unique_ptr<wasm_instance>>
wasm_instance::create(std::shared_ptr<const compiled_module> module,
                      const instance_limits& limits, guest_env& env) {
  const auto& m = *module;
  for (const auto& memory : m.desc.memories)
    if (memory.type.limits.initial > limits.memory_pages)
      return make_error(errc::resource_limit_exceeded,
                        "WASM module " + m.path + " needs "
                          + pages(memory.type.limits.initial)
                          + " of memory at start, but the agent's limit "
                            "allows "
                          + pages(limits.memory_pages)
                          + "; raise limits.memory_bytes");
  std::unique_ptr<wasm_instance> self{
    new wasm_instance(std::move(module), limits)};
  self->host_.env = &env;
  self->store_ = std::make_unique<wi::Store>();
  auto& store = *self->store_;
  wi::RefVec imports;
  for (const auto& import : m.imports) {
    const auto* fn = find_host_function(import.module, import.name);
    if (fn == nullptr)
      return module_error(m.path, "imports " + import.qualified()
                              + ", which the node does not provide; see "
                                "docs/wasm-abi.md for the host functions");
    imports.push_back(bind(store, *fn, self->host_).ref());
  }
  // Types are checked against the module's declared imports.
  for (std::size_t i = 0; i < m.desc.imports.size(); ++i) {
    const auto& declared = *wabt::cast<wi::FuncType>(
      m.desc.imports[i].type.type.get());
    auto provided = find_host_function(m.imports[i].module,
                                       m.imports[i].name)
                      ->type();
    if (declared.params != provided.params
        || declared.results != provided.results)
      return module_error(m.path, "imports " + m.imports[i].qualified()
                              + " with type " + type_list(declared.params)
                              + " -> " + type_list(declared.results)
                              + ", but the node provides "
                              + type_list(provided.params) + " -> "
                              + type_list(provided.results));
  }
  auto desc = instance_desc(m, limits.memory_pages);
  if (!m.desc.starts.empty())
    self->start_ = m.desc.starts.front().func_index;
  auto compiled = wi::Module::New(store, std::move(desc));
  wi::Trap::Ptr trap;
  self->instance_ = wi::Instance::Instantiate(store, compiled.ref(), imports,
                                              &trap);
  if (!self->instance_)
    return module_error(m.path, "instantiation failed: "
                            + (trap ? trap->message() : std::string{"?"}));
  if (m.memory >= 0) {
    self->memory_ = store.UnsafeGet<wi::Memory>(
      self->instance_->exports()[static_cast<std::size_t>(m.memory)]);
    self->host_.memory = self->memory_.get();
  }
  self->handler_ = self->exported_func(m.handler);
  return self;
}

wi::DefinedFunc::Ptr wasm_instance::exported_func(int export_index) {
  auto ref = instance_->exports()[static_cast<std::size_t>(export_index)];
  return store_->UnsafeGet<wi::DefinedFunc>(ref);
}

caf::error wasm_instance::initialize(std::uint64_t budget) {
  struct step {
    const char* name;
    wi::DefinedFunc::Ptr func;
    bool returns_code;
  };
  std::vector<step> steps;
  if (start_ != static_cast<wi::Index>(-1))
    steps.push_back(
      {"the start function",
       store_->UnsafeGet<wi::DefinedFunc>(instance_->funcs()[start_]),
       false});
  if (module_->initialize >= 0)
    steps.push_back(
      {"_initialize", exported_func(module_->initialize), false});
  if (module_->init >= 0)
    steps.push_back({"corral_init", exported_func(module_->init), true});
  for (auto& [name, func, returns_code] : steps) {
    run_result result;
    if (!begin(func, {}, result))
      return module_error(module_->path, std::string(name) + " failed to start: "
                                     + result.detail);
    result = run(budget);
    budget -= std::min(budget, result.instructions);
    switch (result.status) {
      case run_status::returned:
        if (returns_code && result.value != 0)
          return module_error(module_->path,
                              "corral_init returned "
                                + std::to_string(result.value)
                                + "; the agent refused to start");
        continue;
      case run_status::paused:
        return module_error(module_->path,
                            std::string(name)
                              + " did not finish within the start-up budget "
                                "of instructions; move long work into a "
                                "message handler");
      case run_status::exited:
        return module_error(module_->path,
                            std::string(name) + " exited with code "
                              + std::to_string(*host_.exit_code));
      case run_status::memory_exceeded:
        return make_error(errc::resource_limit_exceeded,
                          "WASM module " + module_->path + ": " + name
                            + " grew memory past the agent's limit of "
                            + std::to_string(limits_.memory_pages)
                            + " pages");
      case run_status::trapped:
        return module_error(module_->path, std::string(name) + " trapped: "
                                       + result.detail);
    }
  }
  return caf::error{};
}

bool wasm_instance::begin(const wi::DefinedFunc::Ptr& func,
                          const wi::Values& args, run_result& failure) {
  if (broken_ || running_) {
    failure.status = run_status::trapped;
    failure.detail = broken_ ? "the instance trapped before"
                             : "a call is already running";
    return false;
  }
  wi::Trap::Ptr trap;
  // The thread and its stacks are made on the first call, so an agent that
  // never gets a message never pays for them.
  if (!thread_) {
    thread_ = std::make_unique<wi::Thread>(*store_);
    set_call_depth_limit(*thread_, limits_.call_depth);
  }
  if (!begin_call(*thread_, *func, args, &trap)) {
    failure = finish_trap(trap, 0);
    return false;
  }
  current_ = func;
  running_ = true;
  return true;
}

bool wasm_instance::begin_message(std::int32_t kind, std::uint32_t topic_len,
                                  std::uint32_t payload_len,
                                  run_result& failure) {
  wi::Values args{wi::Value::Make(static_cast<std::uint32_t>(kind)),
                  wi::Value::Make(topic_len), wi::Value::Make(payload_len)};
  return begin(handler_, args, failure);
}

run_result wasm_instance::run(std::uint64_t budget) {
  run_result result;
  if (!running_) {
    result.status = run_status::trapped;
    result.detail = "no call is running";
    return result;
  }
  wi::Trap::Ptr trap;
  while (result.instructions < budget) {
    auto step = std::min(fuel_step, budget - result.instructions);
    auto status = thread_->Run(static_cast<int>(step), &trap);
    result.instructions += step;
    if (status == wi::RunResult::Return) {
      auto values = end_call(*thread_, *current_);
      // Growth in the call's last step is found here, before its result
      // counts.
      if (memory_ && memory_->PageSize() > limits_.memory_pages)
        return finish_trap({}, result.instructions);
      result.status = run_status::returned;
      if (!values.empty())
        result.value = static_cast<std::int32_t>(values[0].Get<std::uint32_t>());
      running_ = false;
      current_.reset();
      return result;
    }
    if (status != wi::RunResult::Ok)
      return finish_trap(trap, result.instructions);
    if (memory_ && memory_->PageSize() > limits_.memory_pages)
      return finish_trap({}, result.instructions);
    if (value_stack_size(*thread_) > limits_.value_stack) {
      broken_ = true;
      running_ = false;
      result.status = run_status::trapped;
      result.detail = "value stack exhausted (more than "
                      + std::to_string(limits_.value_stack) + " values)";
      return result;
    }
  }
  result.status = run_status::paused;
  return result;
}

run_result wasm_instance::finish_trap(const wi::Trap::Ptr& trap,
                                      std::uint64_t used) {
  broken_ = true;
  running_ = false;
  current_.reset();
  run_result result;
  result.instructions = used;
  if (host_.exit_code) {
    result.status = run_status::exited;
  } else if (memory_ && memory_->PageSize() > limits_.memory_pages) {
    result.status = run_status::memory_exceeded;
    result.detail = std::to_string(memory_->PageSize()) + " pages";
  } else {
    result.status = run_status::trapped;
    result.detail = trap ? trap->message() : std::string{"unknown trap"};
  }
  return result;
}

std::uint64_t wasm_instance::memory_bytes() const {
  return memory_ ? memory_->ByteSize() : 0;
}

} // namespace corral::wasm
