#include "backends/wasm/module_compiler.hpp"

#include <string_view>

#include <wabt/binary-reader.h>
#include <wabt/binary-writer.h>
#include <wabt/error-formatter.h>
#include <wabt/interp/binary-reader-interp.h>
#include <wabt/ir.h>
#include <wabt/stream.h>
#include <wabt/validator.h>
#include <wabt/wast-lexer.h>
#include <wabt/wast-parser.h>

#include "actors/error.hpp"

namespace corral::wasm {

caf::error module_error(const std::string& path, const std::string& what) {
  return make_error(errc::spawn_failed, "WASM module " + path + ": " + what);
}

namespace {

namespace wi = wabt::interp;

// wabt formats every error with its offset; the first few are enough to
// find the problem, and a hostile module could produce thousands.
std::string format_errors(const wabt::Errors& errors,
                          wabt::Location::Type type,
                          wabt::LexerSourceLineFinder* lines = nullptr) {
  wabt::Errors first(errors.begin(),
                     errors.begin() + std::min<std::size_t>(errors.size(), 3));
  auto text = wabt::FormatErrorsToString(first, type, lines);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  for (auto& c : text)
    if (c == '\n')
      c = ';';
  return text.empty() ? std::string{"invalid module"} : text;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size()
         && text.compare(text.size() - suffix.size(), suffix.size(), suffix)
              == 0;
}

bool is_wat_token_char(char c) {
  return c > ' ' && c < 0x7f && c != '(' && c != ')' && c != '"'
         && c != ';';
}

// The problem scan_wat found in WAT text, if any.
enum class wat_problem {
  none,
  too_deep,
  annotation,
};

// Scans WAT text, outside strings and comments, for two things that crash
// wabt 1.0.32's text parser:
// - Nesting of parentheses and blocks deeper than `limit`, because the
//   parser recurses once per level. A folded block counts once, by its
//   parenthesis. A plain `block`, `loop`, `if` or `try` counts until its
//   `end`.
// - An annotation, "(@", because a string with a newline in it makes the
//   lexer throw std::length_error (for example the 4 bytes `(@"` and a
//   newline). The node enables no annotations, so wabt rejects them anyway.
// Text that is not valid WAT may be scanned wrong, but it fails to parse.
wat_problem scan_wat(const std::string& text, std::size_t limit) {
  std::size_t parens = 0;
  std::size_t blocks = 0;
  bool after_paren = false;
  std::size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == ';' && next == ';') {
      while (i < text.size() && text[i] != '\n')
        ++i;
    } else if (c == '(' && next == ';') {
      std::size_t comments = 0;
      do {
        if (text.compare(i, 2, "(;") == 0) {
          ++comments;
          i += 2;
        } else if (text.compare(i, 2, ";)") == 0) {
          --comments;
          i += 2;
        } else {
          ++i;
        }
      } while (comments > 0 && i < text.size());
    } else if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i)
        if (text[i] == '\\')
          ++i;
      ++i;
      after_paren = false;
    } else if (c == '(' && next == '@') {
      return wat_problem::annotation;
    } else if (c == '(') {
      ++parens;
      after_paren = true;
      ++i;
    } else if (c == ')') {
      parens -= parens > 0 ? 1 : 0;
      after_paren = false;
      ++i;
    } else if (is_wat_token_char(c)) {
      auto start = i;
      while (i < text.size() && is_wat_token_char(text[i]))
        ++i;
      std::string_view word(text.data() + start, i - start);
      bool opens = word == "block" || word == "loop" || word == "if"
                   || word == "try";
      if (opens && !after_paren)
        ++blocks;
      else if (word == "end" && blocks > 0)
        --blocks;
      after_paren = false;
    } else {
      ++i;
    }
    if (parens + blocks > limit)
      return wat_problem::too_deep;
  }
  return wat_problem::none;
}

caf::expected<std::vector<std::uint8_t>>
wat_to_binary(const std::string& path, const std::string& bytes,
              const wabt::Features& features) {
  // A file with NUL bytes is binary data, not text: an ELF executable or a
  // truncated download. Saying so helps more than wabt's lexer errors.
  if (bytes.find('\0') != std::string::npos)
    return module_error(path, "is neither a WebAssembly binary (it does not "
                              "start with the bytes \\0asm) nor WAT text (it "
                              "contains NUL bytes); give a .wasm or .wat file");
  switch (scan_wat(bytes, max_wat_nesting)) {
    case wat_problem::too_deep:
      return module_error(path, "WAT text nests expressions or blocks more "
                                "than "
                                  + std::to_string(max_wat_nesting)
                                  + " levels deep; the node reads deeper "
                                    "nesting only from a binary .wasm file");
    case wat_problem::annotation:
      return module_error(path, "WAT text contains an annotation \"(@\", "
                                "which the node does not accept; remove it");
    case wat_problem::none:
      break;
  }
  wabt::Errors errors;
  auto lexer = wabt::WastLexer::CreateBufferLexer(path, bytes.data(),
                                                  bytes.size(), &errors);
  std::unique_ptr<wabt::Module> module;
  wabt::WastParseOptions parse_options(features);
  if (wabt::Failed(
        wabt::ParseWatModule(lexer.get(), &module, &errors, &parse_options))) {
    auto lines = lexer->MakeLineFinder();
    return module_error(path, "not valid WAT text: "
                                + format_errors(errors,
                                                wabt::Location::Type::Text,
                                                lines.get()));
  }
  wabt::ValidateOptions validate_options(features);
  if (wabt::Failed(
        wabt::ValidateModule(module.get(), &errors, validate_options))) {
    auto lines = lexer->MakeLineFinder();
    return module_error(path, "invalid: "
                                + format_errors(errors,
                                                wabt::Location::Type::Text,
                                                lines.get()));
  }
  wabt::MemoryStream stream;
  wabt::WriteBinaryOptions write_options(features, true, false, false);
  if (wabt::Failed(
        wabt::WriteBinaryModule(&stream, module.get(), write_options)))
    return module_error(path, "could not encode the WAT text as binary");
  return std::move(stream.output_buffer().data);
}

/// Checks what the node requires of every agent module, beyond validity.
caf::error check_shape(const std::string& path, compiled_module& m) {
  const auto& desc = m.desc;
  std::size_t imported_funcs = 0;
  for (const auto& import : desc.imports) {
    const auto& type = import.type;
    if (type.type->kind != wabt::ExternalKind::Func)
      return module_error(path, "imports " + std::string(
                                  wi::GetName(type.type->kind))
                                  + " " + type.module + "." + type.name
                                  + ", but the node provides functions only");
    m.imports.push_back({type.module, type.name});
    ++imported_funcs;
  }
  for (std::size_t i = 0; i < desc.funcs.size(); ++i) {
    std::uint64_t locals = 0;
    for (const auto& local : desc.funcs[i].locals)
      locals += local.count;
    if (locals > max_function_locals)
      return module_error(path, "function " + std::to_string(
                                  i + imported_funcs)
                                  + " declares " + std::to_string(locals)
                                  + " locals; the limit is "
                                  + std::to_string(max_function_locals));
  }
  for (std::size_t i = 0; i < desc.exports.size(); ++i) {
    const auto& name = desc.exports[i].type.name;
    auto kind = desc.exports[i].type.type->kind;
    int index = static_cast<int>(i);
    if (name == handler_export && kind == wabt::ExternalKind::Func)
      m.handler = index;
    else if (name == "memory" && kind == wabt::ExternalKind::Memory)
      m.memory = index;
    else if (name == "_initialize" && kind == wabt::ExternalKind::Func)
      m.initialize = index;
    else if (name == "corral_init" && kind == wabt::ExternalKind::Func)
      m.init = index;
  }
  // Exported functions must be the module's own, so that the node can run
  // them in slices; an export may also name an import.
  auto own_func = [&](int export_index, const wi::ValueTypes& params,
                      const wi::ValueTypes& results,
                      const char* name) -> caf::error {
    if (export_index < 0)
      return caf::error{};
    auto func = desc.exports[export_index].index;
    if (func < imported_funcs)
      return module_error(path, std::string("export ") + name
                                  + " re-exports an import; it must be a "
                                    "function of the module");
    const auto& type = desc.funcs[func - imported_funcs].type;
    if (type.params != params || type.results != results)
      return module_error(path, std::string("export ") + name + " has type "
                                  + type_list(type.params) + " -> "
                                  + type_list(type.results) + "; expected "
                                  + type_list(params) + " -> "
                                  + type_list(results));
    return caf::error{};
  };
  using wabt::Type;
  if (m.handler < 0)
    return module_error(path, std::string("does not export the function ")
                                + handler_export
                                + " (i32 kind, i32 topic_len, i32 "
                                  "payload_len) -> i32; see docs/wasm-abi.md");
  if (auto err = own_func(m.handler, {Type::I32, Type::I32, Type::I32},
                          {Type::I32}, handler_export))
    return err;
  if (auto err = own_func(m.initialize, {}, {}, "_initialize"))
    return err;
  if (auto err = own_func(m.init, {}, {Type::I32}, "corral_init"))
    return err;
  if (!m.imports.empty() && m.memory < 0)
    return module_error(path, "imports host functions but does not export "
                              "its memory as \"memory\"");
  for (const auto& memory : desc.memories)
    if (memory.type.limits.is_64 || memory.type.limits.is_shared)
      return module_error(path, "declares a 64-bit or shared memory, which "
                                "the node does not run");
  std::uint64_t table_elements = 0;
  for (const auto& table : desc.tables)
    table_elements += table.type.limits.initial;
  if (table_elements > max_table_elements)
    return module_error(path, "declares tables of "
                                + std::to_string(table_elements)
                                + " elements in all; the limit is "
                                + std::to_string(max_table_elements));
  return caf::error{};
}

// Lowers each table's declared maximum so that all tables together stay
// within max_table_elements: each may grow by an equal share of what the
// initial sizes leave. A table.grow past its maximum returns -1, which the
// WebAssembly spec requires. Needs the initial sizes checked by check_shape.
void cap_tables(wi::ModuleDesc& desc) {
  if (desc.tables.empty())
    return;
  std::uint64_t initial = 0;
  for (const auto& table : desc.tables)
    initial += table.type.limits.initial;
  auto growth = (max_table_elements - initial) / desc.tables.size();
  for (auto& table : desc.tables) {
    auto& limits = table.type.limits;
    auto max = limits.initial + growth;
    if (!limits.has_max || limits.max > max) {
      limits.max = max;
      limits.has_max = true;
    }
  }
}

} // namespace

std::string type_list(const wi::ValueTypes& types) {
  std::string out = "(";
  for (std::size_t i = 0; i < types.size(); ++i)
    out += (i ? " " : "") + wi::GetName(types[i]);
  return out + ")";
}

caf::expected<std::shared_ptr<const compiled_module>>
compile_module(const std::string& path, const std::string& bytes, bool text) {
  wabt::Features features;
  std::vector<std::uint8_t> binary;
  if (text) {
    auto converted = wat_to_binary(path, bytes, features);
    if (!converted)
      return converted.error();
    binary = std::move(*converted);
  } else {
    binary.assign(bytes.begin(), bytes.end());
  }
  auto result = std::make_shared<compiled_module>();
  result->path = path;
  result->binary_size = binary.size();
  wabt::Errors errors;
  wabt::ReadBinaryOptions options(features, nullptr, false, true, false);
  if (wabt::Failed(wi::ReadBinaryInterp(path, binary.data(), binary.size(),
                                        options, &errors, &result->desc)))
    return module_error(path,
                        "not a valid WebAssembly binary: "
                          + format_errors(errors,
                                          wabt::Location::Type::Binary));
  if (auto err = check_shape(path, *result))
    return err;
  cap_tables(result->desc);
  return std::shared_ptr<const compiled_module>{std::move(result)};
}

bool is_text_module(const std::string& path, const std::string& bytes) {
  if (ends_with(path, ".wat"))
    return true;
  if (ends_with(path, ".wasm"))
    return false;
  return bytes.compare(0, 4, std::string("\0asm", 4)) != 0;
}

} // namespace corral::wasm
