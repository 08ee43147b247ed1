// The host ABI of WASM agents: bad guest pointers trap the guest and never
// the node, the negative return codes, requests from a guest and their
// answers, publish and subscribe, identity, per-instance memory, and the
// WASI C example agent.

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "wasm_test_support.hpp"

using namespace corral;
using namespace corral::testing;

namespace {

/// The `corral` and WASI imports the modules below use beyond wat_imports.
const std::string more_imports = R"(
  (import "corral" "send" (func $send (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "corral" "request" (func $request (param i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "corral" "publish" (func $publish (param i32 i32 i32 i32) (result i32)))
  (import "corral" "subscribe" (func $subscribe (param i32 i32) (result i32)))
  (import "corral" "message_correlation" (func $correlation (result i64)))
  (import "corral" "self_pid" (func $self_pid (result i64)))
  (import "corral" "self_id" (func $self_id (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
)";

/// Text at fixed addresses: target "echo" at 100, an invalid UTF-8 byte
/// at 104 and the topic "news" at 105.
const std::string strings = R"((data (i32.const 100) "echo\ffnews"))";

/// A handler that replies with the i32 values that `expressions` leave,
/// as 4 little-endian bytes each.
std::string codes_body(const std::vector<std::string>& expressions) {
  std::string body;
  for (std::size_t i = 0; i < expressions.size(); ++i)
    body += "(i32.store (i32.const " + std::to_string(4 * i) + ") "
            + expressions[i] + ") ";
  return body + "(call $reply (i32.const 0) (i32.const "
         + std::to_string(4 * expressions.size()) + "))";
}

/// A handler that replies with the i32 that `expression` leaves.
std::string code_body(const std::string& expression) {
  return codes_body({expression});
}

/// Reads the little-endian integer of type T at `offset` in `bytes`, the
/// byte order of WebAssembly memory. Returns 0 when `bytes` is too short.
template <class T>
T read_le(const std::string& bytes, std::size_t offset = 0) {
  if (bytes.size() < offset + sizeof(T))
    return 0;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i)
    value |= std::uint64_t{static_cast<unsigned char>(bytes[offset + i])}
             << (8 * i);
  return static_cast<T>(value);
}

/// A fixture with a folder for the test's modules and an echo agent.
struct abi_fixture : node_fixture {
  module_folder folder;

  abi_fixture() {
    spawn(wasm_request("echo", example_module("echo.wat")));
  }

  /// Writes a module with `body` and the imports and strings above, and
  /// returns a request to spawn it as `agent_id`.
  spawn_request agent(const std::string& agent_id, const std::string& body,
                      const std::string& fields = {}) {
    auto text = wat_agent(body, more_imports + strings + fields);
    return wasm_request(agent_id, folder.write(agent_id + ".wat", text));
  }

  /// Sends a request and returns the i32 values that its reply carries.
  std::vector<std::int32_t> ask_codes(const std::string& target,
                                      const std::string& topic,
                                      const std::string& payload = {}) {
    auto reply = ask(target, topic, payload);
    BOOST_TEST_REQUIRE(reply.size() % 4 == 0u, "reply: " << reply);
    std::vector<std::int32_t> codes;
    for (std::size_t i = 0; i < reply.size(); i += 4)
      codes.push_back(read_le<std::int32_t>(reply, i));
    return codes;
  }

  /// Sends a request and returns the one i32 that its reply carries.
  std::int32_t ask_code(const std::string& target, const std::string& topic,
                        const std::string& payload = {}) {
    auto codes = ask_codes(target, topic, payload);
    BOOST_TEST_REQUIRE(codes.size() == 1u);
    return codes[0];
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(wasm_abi, abi_fixture)

BOOST_AUTO_TEST_CASE(bad_pointers_trap_the_guest) {
  struct pointer_case {
    const char* body;
    const char* detail;
  };
  const pointer_case cases[] = {
    {"(drop (call $topic (i32.const 70000) (i32.const 8)))",
     "trap: message_topic: destination range [70000, 70002)"},
    {"(drop (call $payload (i32.const 65535) (i32.const 8)))",
     "trap: message_payload: destination range [65535, 65541)"},
    {"(drop (call $reply (i32.const 65530) (i32.const 100)))",
     "trap: reply: payload range [65530, 65630) is outside linear memory "
     "of 65536 bytes"},
    {"(drop (call $reply (i32.const 0xfffffff0) (i32.const 0x20)))",
     "trap: reply: payload range [4294967280, 4294967312)"},
    {"(drop (call $send (i32.const 65535) (i32.const 4) (i32.const 105) "
     "(i32.const 4) (i32.const 0) (i32.const 0)))",
     "trap: send: target range [65535, 65539)"},
    {"(drop (call $send (i32.const 100) (i32.const 4) (i32.const 105) "
     "(i32.const 4) (i32.const 65000) (i32.const 1000)))",
     "trap: send: payload range [65000, 66000)"},
    {"(drop (call $publish (i32.const 0xffffffff) (i32.const 2) "
     "(i32.const 0) (i32.const 0)))",
     "trap: publish: topic range [4294967295, 4294967297)"},
    {"(drop (call $publish (i32.const 105) (i32.const 4) (i32.const 65000) "
     "(i32.const 1000)))",
     "trap: publish: payload range [65000, 66000)"},
    {"(drop (call $fd_write (i32.const 1) (i32.const 65532) (i32.const 1) "
     "(i32.const 0)))",
     "trap: fd_write: iovec array range [65532, 65540)"},
    {"(i32.store (i32.const 0) (i32.const 65000)) "
     "(i32.store (i32.const 4) (i32.const 1000)) "
     "(drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) "
     "(i32.const 16)))",
     "trap: fd_write: iovec buffer range [65000, 66000)"},
  };
  int n = 0;
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.body) {
      auto id = "bad" + std::to_string(n++);
      spawn(agent(id, std::string{c.body} + " (i32.const 0)"));

      auto answer = ask(id, "go", "abcdef");

      BOOST_TEST(answer.find("error: ") == 0u);
      auto reason = wait_for_exit(node(), id);
      BOOST_REQUIRE(reason);
      BOOST_TEST(reason->kind == exit_kind::crashed);
      BOOST_TEST(reason->detail.find(c.detail) == 0u,
                 "detail: " << reason->detail);
      BOOST_TEST(ask("echo", "t", id) == id);
    }
  }
}

BOOST_AUTO_TEST_CASE(return_codes) {
  spawn(agent("codes", codes_body({
    // An invalid UTF-8 topic, an empty target, an invalid UTF-8 topic to
    // publish, a valid publication and a request with a 0 ms timeout.
    "(call $send (i32.const 100) (i32.const 4) (i32.const 104) (i32.const 1) "
    "(i32.const 0) (i32.const 0))",
    "(call $send (i32.const 100) (i32.const 0) (i32.const 105) (i32.const 4) "
    "(i32.const 0) (i32.const 0))",
    "(call $publish (i32.const 104) (i32.const 1) (i32.const 0) (i32.const 0))",
    "(call $publish (i32.const 105) (i32.const 4) (i32.const 0) (i32.const 0))",
    "(i32.wrap_i64 (call $request (i32.const 100) (i32.const 4) (i32.const 105) "
    "(i32.const 4) (i32.const 0) (i32.const 0) (i32.const 0)))",
    // WASI errno values: EBADF for fd 3 and EINVAL for too many iovecs.
    "(call $fd_write (i32.const 3) (i32.const 0) (i32.const 0) (i32.const 0))",
    "(call $fd_write (i32.const 1) (i32.const 0) (i32.const 0x20000000) "
    "(i32.const 0))",
  })));
  const std::vector<std::int32_t> expected{-1, -1, -1, 0, -1, 8, 28};
  BOOST_TEST(ask_codes("codes", "go") == expected,
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(send_targets) {
  spawn(agent("sender", "(drop (call $payload (i32.const 200) (i32.const 64))) "
                          + code_body("(call $send (i32.const 200) "
                                      "(local.get $payload_len) "
                                      "(i32.const 105) (i32.const 4) "
                                      "(i32.const 0) (i32.const 0))")));
  auto echo = std::to_string(pid_of("echo"));
  auto exited_pid = std::to_string(spawn("gone").pid);
  BOOST_REQUIRE(node().stop("gone"));

  BOOST_TEST(ask_code("sender", "go", "echo") == 0);
  BOOST_TEST(ask_code("sender", "go", echo) == 0);
  BOOST_TEST(ask_code("sender", "go", "test:" + echo) == 0);
  BOOST_TEST(ask_code("sender", "go", "nobody") == -2);
  BOOST_TEST(ask_code("sender", "go", exited_pid) == -2);
  BOOST_TEST(ask_code("sender", "go", "elsewhere:" + echo) == -4);
}

BOOST_AUTO_TEST_CASE(payload_over_16_mib) {
  // The payload must lie in memory before its size counts, so the handler
  // first grows memory to 257 pages (16 MiB and 64 KiB).
  auto big = agent("big", "(drop (memory.grow (i32.const 256))) "
                            + code_body("(call $send (i32.const 100) "
                                        "(i32.const 4) (i32.const 105) "
                                        "(i32.const 4) (i32.const 0) "
                                        "(i32.const 0x1000001))"));
  big.limits.memory_bytes = 257 * 65536;
  spawn(big);
  BOOST_TEST(ask_code("big", "go") == -6);
}

BOOST_AUTO_TEST_CASE(denied_by_capabilities) {
  auto denied = agent(
    "denied",
    codes_body({"(call $send (i32.const 100) (i32.const 4) (i32.const 105) "
                "(i32.const 4) (i32.const 0) (i32.const 0))",
                "(call $publish (i32.const 105) (i32.const 4) (i32.const 0) "
                "(i32.const 0))"}));
  capabilities caps;
  caps.can_send.kind = send_scope_kind::none;
  caps.can_publish = {"weather"};
  denied.caps = caps;
  spawn(denied);

  auto codes = ask_codes("denied", "go");
  BOOST_REQUIRE(codes.size() == 2u);
  BOOST_TEST(codes[0] == -3);
  BOOST_TEST(codes[1] == -3);
}

BOOST_AUTO_TEST_CASE(reply_without_request) {
  // A one-way message stores the code of its reply. A request with topic
  // "twice" replies twice and stores both codes. Topic "get" returns the
  // three codes, each 99 until it is stored.
  spawn(agent("replier", R"(
      (if (i32.eqz (local.get $kind)) (then
        (global.set $one_way (call $reply (i32.const 0) (i32.const 0)))
        (return (i32.const 0))))
      (if (i32.eq (local.get $topic_len) (i32.const 5)) (then
        (global.set $first (call $reply (i32.const 100) (i32.const 4)))
        (global.set $second (call $reply (i32.const 105) (i32.const 4)))
        (return (i32.const 0))))
      )" + codes_body({"(global.get $one_way)", "(global.get $first)",
                       "(global.get $second)"}),
              R"((global $one_way (mut i32) (i32.const 99))
                 (global $first (mut i32) (i32.const 99))
                 (global $second (mut i32) (i32.const 99)))"));
  using codes = std::vector<std::int32_t>;
  BOOST_TEST(ask_codes("replier", "get") == (codes{99, 99, 99}));

  BOOST_REQUIRE(!node().send("replier", "one-way", {}));
  BOOST_TEST(ask_codes("replier", "get") == (codes{-5, 99, 99}));

  BOOST_TEST(ask("replier", "twice") == "echo");
  BOOST_TEST(ask_codes("replier", "get") == (codes{-5, 0, -5}));
}

BOOST_AUTO_TEST_CASE(request_from_guest) {
  // Topic "get" returns the last reply or failure as [kind i32]
  // [correlation i64][payload]. Other topics send a request with that
  // topic to the target named by the payload, and return the result of
  // corral.request as an i64.
  spawn(agent("asker", R"(
      (if (i32.ge_u (local.get $kind) (i32.const 2)) (then
        (global.set $answer_kind (local.get $kind))
        (global.set $answer_id (call $correlation))
        (global.set $answer_len (call $payload (i32.const 1024) (i32.const 1024)))
        (return (i32.const 0))))
      (if (i32.eq (local.get $topic_len) (i32.const 3)) (then
        (i32.store (i32.const 1012) (global.get $answer_kind))
        (i64.store (i32.const 1016) (global.get $answer_id))
        (return (call $reply (i32.const 1012)
                             (i32.add (i32.const 12) (global.get $answer_len))))))
      (drop (call $topic (i32.const 300) (i32.const 64)))
      (drop (call $payload (i32.const 200) (i32.const 64)))
      (i64.store (i32.const 0)
        (call $request (i32.const 200) (local.get $payload_len)
                       (i32.const 300) (local.get $topic_len)
                       (i32.const 105) (i32.const 4) (i32.const 300)))
      (call $reply (i32.const 0) (i32.const 8)))",
                   R"((global $answer_kind (mut i32) (i32.const -1))
                      (global $answer_id (mut i64) (i64.const 0))
                      (global $answer_len (mut i32) (i32.const 0)))"));
  auto native = spawn_probe("native");

  // Waits for the reply or failure of request `id` and returns it.
  auto answer_to = [&](std::int64_t id) {
    std::string last;
    wait_until(
      [&] {
        last = ask("asker", "get");
        return read_le<std::int64_t>(last, 4) == id;
      },
      patience);
    return last;
  };

  auto first = read_le<std::int64_t>(ask("asker", "hello", "native"));
  BOOST_TEST(first > 0);
  auto answer = answer_to(first);
  BOOST_TEST(read_le<std::int32_t>(answer) == 2);
  BOOST_TEST(answer.substr(12) == "ack");
  auto seen = native->wait_for(is_message("hello"), patience);
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->msg.kind == message_kind::request);
  BOOST_TEST(seen->msg.from.pid == pid_of("asker"));

  auto second = read_le<std::int64_t>(ask("asker", "hello", "echo"));
  BOOST_TEST(second > first);
  answer = answer_to(second);
  BOOST_TEST(read_le<std::int32_t>(answer) == 2);
  BOOST_TEST(answer.substr(12) == "news");

  // The probe never replies to "hang", so the request times out after
  // 300 ms.
  auto third = read_le<std::int64_t>(ask("asker", "hang", "native"));
  answer = answer_to(third);
  BOOST_TEST(read_le<std::int32_t>(answer) == 3);
  BOOST_TEST(answer.substr(12).find("timeout") != std::string::npos);

  BOOST_TEST(read_le<std::int64_t>(ask("asker", "hello", "nobody")) == -2);
}

BOOST_AUTO_TEST_CASE(publish_and_subscribe) {
  // Topics by first letter: "init" returns the code of the subscribe in
  // corral_init, "sub" subscribes to "news", "pub" publishes to "news",
  // and "get" returns the last one-way message as "<topic>:<payload>".
  spawn(agent("reader", R"(
      (if (i32.eqz (local.get $kind)) (then
        (drop (call $topic (i32.const 1024) (i32.const 64)))
        (i32.store8 (i32.add (i32.const 1024) (local.get $topic_len)) (i32.const 58))
        (drop (call $payload (i32.add (i32.const 1025) (local.get $topic_len))
                             (i32.const 512)))
        (global.set $record_len (i32.add (i32.add (local.get $topic_len)
                                                  (i32.const 1))
                                         (local.get $payload_len)))
        (return (i32.const 0))))
      (drop (call $topic (i32.const 0) (i32.const 1)))
      (if (i32.eq (i32.load8_u (i32.const 0)) (i32.const 0x67)) (then
        (return (call $reply (i32.const 1024) (global.get $record_len)))))
      )" + code_body(R"(
        (if (result i32) (i32.eq (i32.load8_u (i32.const 0)) (i32.const 0x69))
          (then (global.get $init_code))
          (else (if (result i32) (i32.eq (i32.load8_u (i32.const 0)) (i32.const 0x73))
            (then (call $subscribe (i32.const 105) (i32.const 4)))
            (else (call $publish (i32.const 105) (i32.const 4)
                                 (i32.const 100) (i32.const 4)))))))"),
              R"((global $init_code (mut i32) (i32.const 99))
                 (global $record_len (mut i32) (i32.const 0))
                 (func (export "corral_init") (result i32)
                   (global.set $init_code (call $subscribe (i32.const 105) (i32.const 4)))
                   (i32.const 0)))"));
  BOOST_TEST(ask_code("reader", "init") == -7);

  BOOST_TEST(ask_code("reader", "sub") == 0);
  BOOST_REQUIRE(!node().publish("news", "extra"));
  BOOST_TEST(wait_until([&] { return ask("reader", "get") == "news:extra"; },
                        patience));

  auto listener = spawn_probe("listener");
  BOOST_REQUIRE(ask("listener", "subscribe", "news") == "ok");
  BOOST_TEST(ask_code("reader", "pub") == 0);
  auto seen = listener->wait_for(is_message("news"), patience);
  BOOST_REQUIRE(seen);
  BOOST_TEST(seen->msg.payload == "echo");
  BOOST_TEST(seen->msg.from.pid == pid_of("reader"));
  // The reader is subscribed too, but a publisher does not receive its
  // own publication. Had it been sent, it would be queued before "get".
  BOOST_TEST(ask("reader", "get") == "news:extra");
}

BOOST_AUTO_TEST_CASE(self_pid_and_id) {
  auto pid = spawn(agent("me-myself", R"(
      (i64.store (i32.const 0) (call $self_pid))
      (call $reply (i32.const 0)
        (i32.add (i32.const 8) (call $self_id (i32.const 8) (i32.const 64)))))"))
               .pid;
  auto reply = ask("me-myself", "who");
  BOOST_TEST(read_le<std::int64_t>(reply) == static_cast<std::int64_t>(pid));
  BOOST_TEST(reply.substr(8) == "me-myself");
}

BOOST_AUTO_TEST_CASE(memory_per_instance) {
  // Topic "w" writes 0x12345678 at address 2000, and every request returns
  // the 4 bytes there.
  auto body = R"(
      (if (i32.eq (local.get $topic_len) (i32.const 1)) (then
        (i32.store (i32.const 2000) (i32.const 0x12345678))))
      )" + code_body("(i32.load (i32.const 2000))");
  auto file = folder.write("cell.wat", wat_agent(body));
  spawn(wasm_request("first", file));
  spawn(wasm_request("second", file));

  BOOST_TEST(ask_code("first", "w") == 0x12345678);
  BOOST_TEST(ask_code("first", "read") == 0x12345678);
  BOOST_TEST(ask_code("second", "read") == 0);
}

#if CORRAL_HAVE_WASI_TOOLCHAIN
namespace {

/// 64-bit FNV-1a, as the C example agent computes it, in 16 hex digits.
std::string fnv1a_hex(const std::string& data) {
  std::uint64_t hash = 0xcbf29ce484222325u;
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 0x100000001b3u;
  }
  char text[17];
  std::snprintf(text, sizeof text, "%016llx",
                static_cast<unsigned long long>(hash));
  return text;
}

} // namespace

BOOST_AUTO_TEST_CASE(wasi_c_agent) {
  auto request = wasm_request("c", example_module("c_agent.wasm"));
  request.env["GREETING"] = "good day";
  spawn(request);

  BOOST_TEST(ask("c", "greet", "bob") == "hello, bob (good day)");
  BOOST_TEST(ask("c", "sum", "1 2 3 -10") == "-4");
  BOOST_TEST(ask("c", "sum", "") == "0");
  BOOST_TEST(ask("c", "hash", "") == fnv1a_hex(""));
  BOOST_TEST(ask("c", "hash", "corral") == fnv1a_hex("corral"));
  BOOST_TEST(ask("c", "sum", "12ab").find("error: ") == 0u);
  BOOST_TEST(state_of("c") == "running");
}
#endif

BOOST_AUTO_TEST_SUITE_END()
