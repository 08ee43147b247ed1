// Bad WASM modules: every one is rejected at spawn with an error that names
// the problem, leaves nothing in the process table and consumes no pid, and
// the node keeps spawning and serving agents under the same agent_id.
// Also the host_functions capability, which rejects or allows imports.

#include <chrono>
#include <string>

#include <boost/test/unit_test.hpp>

#include "wasm_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

/// The header of every binary module: the magic "\0asm" and version 1.
const std::string binary_header{"\0asm\x01\0\0\0", 8};

/// A valid binary module without imports or memory: type 0 is
/// (i32 i32 i32) -> i32, function 0 has that type and is exported as
/// corral_on_message, and its body is `<opcode> 0; end`. With 0x41
/// (i32.const) it is the module that `wat2wasm` makes of the WAT form.
/// With 0x42 (i64.const) the body leaves an i64 where an i32 is expected.
std::string handler_binary(char opcode = '\x41') {
  std::string type_section{"\x01\x08\x01\x60\x03\x7f\x7f\x7f\x01\x7f", 10};
  std::string function_section{"\x03\x02\x01\x00", 4};
  std::string export_section = std::string{"\x07\x15\x01\x11", 4}
                               + "corral_on_message"
                               + std::string{"\x00\x00", 2};
  std::string code_section{"\x0a\x06\x01\x04\x00", 5};
  code_section += opcode;
  code_section += std::string{"\x00\x0b", 2};
  return binary_header + type_section + function_section + export_section
         + code_section;
}

/// A WAT module whose handler returns 0, with `fields` added.
std::string bare_agent(const std::string& fields = {}) {
  return "(module " + fields
         + R"( (func (export "corral_on_message") (param i32 i32 i32) (result i32) (i32.const 0))))";
}

/// `count` locals of type i32, as one WAT `local` field.
std::string many_locals(int count) {
  std::string out = "(local";
  for (int i = 0; i < count; ++i)
    out += " i32";
  return out + ")";
}

/// A fixture with a folder for the test's modules.
struct modules_fixture : node_fixture {
  module_folder folder;

  /// Writes `bytes` to `name` and returns a request to spawn it as
  /// `agent_id`.
  spawn_request request_of(const std::string& name, const std::string& bytes,
                           const std::string& agent_id = "bad") {
    return wasm_request(agent_id, folder.write(name, bytes));
  }

  /// Spawns `request`, which must fail with `code` and a message that
  /// contains `fragment`. Then checks that the spawn left no entry and
  /// took no pid, and that an echo agent spawned under the same agent_id
  /// replies.
  void check_rejected(const spawn_request& request, errc code,
                      const std::string& fragment) {
    auto spawned_before = node().stats().spawned;
    auto result = node().spawn(request);
    BOOST_REQUIRE(!result);
    BOOST_TEST(code_of(result) == code);
    auto text = describe(result.error());
    BOOST_TEST_MESSAGE(request.agent_id << " rejected: " << text);
    BOOST_TEST(text.find(fragment) != std::string::npos,
               "\"" << fragment << "\" is missing in: " << text);

    auto all = node().list(true);
    BOOST_REQUIRE(all);
    for (const auto& info : *all)
      BOOST_TEST(info.agent_id != request.agent_id);
    BOOST_TEST(node().stats().spawned == spawned_before);

    spawn(wasm_request(request.agent_id, example_module("echo.wat")));
    BOOST_TEST(ask(request.agent_id, "t", "still serving") == "still serving");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(wasm_modules, modules_fixture)

// The byte-built modules below differ from this one in one place, so a
// rejection of theirs is about that place.
BOOST_AUTO_TEST_CASE(handler_binary_spawns) {
  spawn(request_of("ok.wasm", handler_binary()));
  BOOST_TEST(state_of("bad") == "running");
  BOOST_TEST(!node().send("bad", "t", "x"));
}

BOOST_AUTO_TEST_CASE(empty_file) {
  check_rejected(request_of("empty.wasm", ""), errc::spawn_failed,
                 "not a valid WebAssembly binary");
}

BOOST_AUTO_TEST_CASE(truncated_binary) {
  auto whole = handler_binary();
  check_rejected(request_of("cut.wasm", whole.substr(0, whole.size() - 10)),
                 errc::spawn_failed, "not a valid WebAssembly binary");
}

BOOST_AUTO_TEST_CASE(wrong_magic) {
  auto bytes = handler_binary();
  bytes[3] = 'n';
  check_rejected(request_of("magic.wasm", bytes), errc::spawn_failed,
                 "magic");
}

BOOST_AUTO_TEST_CASE(wrong_version) {
  auto bytes = handler_binary();
  bytes[4] = '\x02';
  check_rejected(request_of("version.wasm", bytes), errc::spawn_failed,
                 "version");
}

BOOST_AUTO_TEST_CASE(type_mismatch_in_code) {
  check_rejected(request_of("mismatch.wasm", handler_binary('\x42')),
                 errc::spawn_failed, "type mismatch");
}

BOOST_AUTO_TEST_CASE(section_past_end) {
  // The type section claims 65,535 bytes (LEB128 ff ff 03) in a file of
  // 55 bytes.
  auto bytes = handler_binary();
  bytes.replace(9, 1, std::string{"\xff\xff\x03", 3});
  check_rejected(request_of("section.wasm", bytes), errc::spawn_failed,
                 "section");
}

BOOST_AUTO_TEST_CASE(unknown_import) {
  auto module = wat_agent(
    "(i32.const 0)",
    R"((import "corral" "teleport" (func (param i32) (result i32))))");
  check_rejected(request_of("unknown.wat", module), errc::spawn_failed,
                 "imports corral.teleport, which the node does not provide");
}

BOOST_AUTO_TEST_CASE(import_with_wrong_type) {
  auto module = bare_agent(
    R"((import "corral" "reply" (func (param i32) (result i32))) (memory (export "memory") 1))");
  check_rejected(request_of("type.wat", module), errc::spawn_failed,
                 "imports corral.reply with type (i32) -> (i32), but the "
                 "node provides (i32 i32) -> (i32)");
}

BOOST_AUTO_TEST_CASE(non_function_imports) {
  struct import_case {
    const char* field;
    const char* expected;
  };
  const import_case cases[] = {
    {R"((import "env" "mem" (memory 1)))", "imports memory env.mem"},
    {R"((import "env" "g" (global i32)))", "imports global env.g"},
    {R"((import "env" "t" (table 1 funcref)))", "imports table env.t"},
  };
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.field) {
      auto id = "bad" + std::to_string(n++);
      check_rejected(request_of(id + ".wat", bare_agent(c.field), id),
                     errc::spawn_failed, c.expected);
    }
  }
}

BOOST_AUTO_TEST_CASE(missing_handler) {
  check_rejected(
    request_of("nohandler.wat",
               R"((module (func (export "on_message") (param i32 i32 i32) (result i32) (i32.const 0))))"),
    errc::spawn_failed, "does not export the function corral_on_message");
}

BOOST_AUTO_TEST_CASE(handler_with_wrong_type) {
  check_rejected(
    request_of("handler.wat",
               R"((module (func (export "corral_on_message") (param i32) (result i32) (i32.const 0))))"),
    errc::spawn_failed,
    "export corral_on_message has type (i32) -> (i32); expected (i32 i32 "
    "i32) -> (i32)");
}

BOOST_AUTO_TEST_CASE(missing_memory_export) {
  check_rejected(
    request_of("nomemory.wat",
               bare_agent(R"((import "corral" "reply" (func (param i32 i32) (result i32))) (memory 1))")),
    errc::spawn_failed, "does not export its memory");
}

BOOST_AUTO_TEST_CASE(start_function_traps) {
  check_rejected(
    request_of("trap.wat", bare_agent("(func $start unreachable) (start $start)")),
    errc::spawn_failed, "the start function trapped: unreachable");
}

BOOST_AUTO_TEST_CASE(start_function_loops_forever) {
  // The start-up budget is 10,000,000 instructions, so the spawn is
  // rejected after a bounded time.
  auto request = request_of(
    "loop.wat", bare_agent("(func $start (loop $l (br $l))) (start $start)"));
  auto started = std::chrono::steady_clock::now();
  check_rejected(request, errc::spawn_failed,
                 "the start function did not finish within the start-up "
                 "budget");
  BOOST_TEST(ms_since(started) < 10'000);
}

BOOST_AUTO_TEST_CASE(start_budget_is_fuel_per_message_when_smaller) {
  auto request = request_of(
    "loop.wat", bare_agent("(func $start (loop $l (br $l))) (start $start)"));
  request.limits.fuel_per_message = 1000;
  auto started = std::chrono::steady_clock::now();
  check_rejected(request, errc::spawn_failed, "start-up budget");
  BOOST_TEST(ms_since(started) < 2000);
}

BOOST_AUTO_TEST_CASE(init_returns_nonzero) {
  check_rejected(
    request_of("init.wat",
               bare_agent(R"((func (export "corral_init") (result i32) (i32.const 7)))")),
    errc::spawn_failed, "corral_init returned 7");
}

BOOST_AUTO_TEST_CASE(initial_memory_over_limit) {
  auto request = request_of("big.wat",
                            bare_agent(R"((memory (export "memory") 4))"));
  request.limits.memory_bytes = 3 * 65536;
  check_rejected(request, errc::resource_limit_exceeded,
                 "needs 4 pages of memory at start, but the agent's limit "
                 "allows 3");
}

BOOST_AUTO_TEST_CASE(initial_memory_at_limit_spawns) {
  auto request = request_of("fits.wat",
                            bare_agent(R"((memory (export "memory") 4))"));
  request.limits.memory_bytes = 4 * 65536;
  spawn(request);
  BOOST_TEST(node().inspect("bad")->usage.memory_bytes == 4u * 65536);
}

BOOST_AUTO_TEST_CASE(too_many_locals) {
  check_rejected(
    request_of("locals.wat", bare_agent("(func " + many_locals(10'001) + ")")),
    errc::spawn_failed, "declares 10001 locals; the limit is 10000");
}

BOOST_AUTO_TEST_CASE(parameters_are_not_locals) {
  check_rejected(
    request_of("locals.wat", bare_agent("(func (param i32 i32 i32) "
                                        + many_locals(10'001) + ")")),
    errc::spawn_failed, "declares 10001 locals; the limit is 10000");
}

BOOST_AUTO_TEST_CASE(locals_at_limit_spawn) {
  spawn(request_of("locals.wat",
                   bare_agent("(func (param i32 i32 i32) "
                              + many_locals(10'000) + ")")));
  BOOST_TEST(state_of("bad") == "running");
}

BOOST_AUTO_TEST_CASE(tables_over_element_limit) {
  check_rejected(
    request_of("table.wat",
               bare_agent("(table 600000 funcref) (table 400001 funcref)")),
    errc::spawn_failed, "declares tables of 1000001 elements in all; the "
                        "limit is 1000000");
}

// table.grow allocates the new elements at once, so growth is refused
// exactly at the limit: the first grow reaches 1,000,000 elements and the
// second returns -1. The handler replies "refused" only when both hold.
BOOST_AUTO_TEST_CASE(table_grow_stops_at_element_limit) {
  spawn(wasm_request(
    "grow", folder.write("grow.wat", wat_agent(R"(
      (if (result i32)
          (i32.ne (table.grow 0 (ref.null func) (i32.const 999999))
                  (i32.const 1))
        (then (i32.const 1))
        (else
          (if (result i32)
              (i32.ne (table.grow 0 (ref.null func) (i32.const 0x7ffffff0))
                      (i32.const -1))
            (then (i32.const 2))
            (else (drop (call $reply (i32.const 0) (i32.const 7)))
                  (i32.const 0)))))
    )", R"((table 1 funcref) (data (i32.const 0) "refused"))"))));
  BOOST_TEST(ask("grow", "t") == "refused");
}

// Without the limit, 20,000 levels overflow the 8 MiB stack of the thread
// that parses the text, and the node crashes.
BOOST_AUTO_TEST_CASE(wat_nested_too_deep) {
  std::string blocks;
  for (int i = 0; i < 20'000; ++i)
    blocks += "block ";
  for (int i = 0; i < 20'000; ++i)
    blocks += "end ";
  check_rejected(
    request_of("deep.wat",
               "(module (func (export \"corral_on_message\") (param i32 i32 "
               "i32) (result i32) "
                 + blocks + "i32.const 0))"),
    errc::spawn_failed, "nests expressions or blocks more than 1000 levels");
}

// `module` and `func` are two levels, so 998 blocks reach the limit.
BOOST_AUTO_TEST_CASE(wat_nested_at_limit_spawns) {
  std::string blocks;
  for (int i = 0; i < 998; ++i)
    blocks += "block ";
  for (int i = 0; i < 998; ++i)
    blocks += "end ";
  spawn(request_of("deep.wat",
                   "(module (func (export \"corral_on_message\") (param i32 "
                   "i32 i32) (result i32) "
                     + blocks + "i32.const 0))"));
  BOOST_TEST(state_of("bad") == "running");
}

// wabt 1.0.32 throws std::length_error on an annotation whose string has a
// newline in it.
BOOST_AUTO_TEST_CASE(wat_annotation) {
  check_rejected(request_of("annotation.wat", "(module (@\"\n"),
                 errc::spawn_failed, "contains an annotation");
}

BOOST_AUTO_TEST_CASE(missing_file) {
  check_rejected(wasm_request("bad", "/nonexistent/corral/agent.wasm"),
                 errc::spawn_failed,
                 "/nonexistent/corral/agent.wasm: cannot be read: No such "
                 "file or directory");
}

BOOST_AUTO_TEST_CASE(directory_as_module) {
  auto file = folder.write("x.wat", "");
  auto directory = file.substr(0, file.rfind('/'));
  check_rejected(wasm_request("bad", directory), errc::spawn_failed,
                 "cannot be read: Is a directory");
}

BOOST_AUTO_TEST_CASE(text_that_is_not_wat) {
  check_rejected(request_of("notes.txt", "hello, this is not a module\n"),
                 errc::spawn_failed, "not valid WAT text");
}

// An executable given as a module has no \0asm magic, so it is read as
// text. The error must report binary data, not WAT parse errors.
BOOST_AUTO_TEST_CASE(executable_given_as_module) {
  std::string elf("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0(((", 19);
  check_rejected(request_of("agent", elf), errc::spawn_failed,
                 "agent: is neither a WebAssembly binary");
}

BOOST_AUTO_TEST_CASE(initial_memory_of_one_page_over_limit) {
  auto request = request_of("one.wat",
                            bare_agent(R"((memory (export "memory") 1))"));
  request.limits.memory_bytes = 65535;
  check_rejected(request, errc::resource_limit_exceeded,
                 "needs 1 page of memory at start, but the agent's limit "
                 "allows 0 pages");
}

BOOST_AUTO_TEST_CASE(import_denied_by_capability) {
  auto request = wasm_request("bad", example_module("echo.wat"));
  capabilities caps;
  caps.host_functions = {"corral.message_payload", "wasi_snapshot_preview1.*"};
  request.caps = caps;
  check_rejected(request, errc::capability_denied,
                 "imports corral.reply, which the agent's host_functions "
                 "capability does not allow");
}

BOOST_AUTO_TEST_CASE(import_allowed_by_capability) {
  const std::vector<std::vector<std::string>> allowed = {
    {"corral.message_payload", "corral.reply"},
    {"corral.*"},
  };
  int n = 0;
  for (const auto& entries : allowed) {
    BOOST_TEST_CONTEXT("host_functions " << entries.front()) {
      auto id = "echo" + std::to_string(n++);
      auto request = wasm_request(id, example_module("echo.wat"));
      capabilities caps;
      caps.host_functions = entries;
      request.caps = caps;
      spawn(request);
      BOOST_TEST(ask(id, "t", "allowed") == "allowed");
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
