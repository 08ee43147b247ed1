#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/error.hpp>
#include <caf/expected.hpp>

#include "actors/module_store.hpp"
#include "backends/wasm/compiled_module.hpp"

namespace corral::wasm {

/// Largest module file the node reads.
inline constexpr std::size_t max_module_file_bytes = max_module_bytes;

/// Most locals one function may declare; bounds the value stack that one
/// call can claim before the stack limit is checked.
inline constexpr std::uint64_t max_function_locals = 10'000;

/// Most table elements one instance may have, over all its tables. wabt
/// allocates every element (8 bytes) when a table is created or grown, so
/// an uncapped table would take node memory outside `memory_bytes`.
inline constexpr std::uint64_t max_table_elements = 1'000'000;

/// Deepest nesting of parentheses and blocks accepted in WAT text. wabt's
/// text parser recurses once per level, and about 15,000 levels overflow
/// an 8 MiB thread stack (wabt 1.0.32, Release build); 1,000 levels need
/// well under 1 MiB. Binary modules are read without recursion.
inline constexpr std::size_t max_wat_nesting = 1'000;

/// Parses and validates `bytes` (binary, or WAT text when `text` is true)
/// into a module named `path` in messages. Errors are `spawn_failed` with
/// the reason; used by the cache and by the fuzz target.
caf::expected<std::shared_ptr<const compiled_module>>
compile_module(const std::string& path, const std::string& bytes, bool text);

/// Turns a wabt value type list into "(i32 i64)", for messages.
std::string type_list(const wabt::interp::ValueTypes& types);

/// Returns `spawn_failed` with "WASM module PATH: WHAT".
caf::error module_error(const std::string& path, const std::string& what);

/// True when the module at `path` with these bytes is WAT text: by the
/// .wat or .wasm name, else by the absence of the binary magic.
bool is_text_module(const std::string& path, const std::string& bytes);

} // namespace corral::wasm
