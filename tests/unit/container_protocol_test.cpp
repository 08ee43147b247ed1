#include <boost/test/unit_test.hpp>

#include "backends/container/container_spec.hpp"
#include "backends/container/protocol.hpp"
#include "serialization/utf8.hpp"

using namespace corral;
using namespace corral::container;

namespace {

std::optional<agent_line> parse(const std::string& text) {
  std::string error;
  return parse_agent_line(text, error);
}

std::string error_of(const std::string& text) {
  std::string error;
  parse_agent_line(text, error);
  return error;
}

bool contains(const std::vector<std::string>& args,
              const std::vector<std::string>& sequence) {
  return std::search(args.begin(), args.end(), sequence.begin(),
                     sequence.end())
         != args.end();
}

} // namespace

BOOST_AUTO_TEST_SUITE(container_protocol)

BOOST_AUTO_TEST_CASE(ready_line_parses) {
  auto line = parse(R"({"type":"ready"})");
  BOOST_REQUIRE(line);
  BOOST_TEST(std::holds_alternative<ready_line>(*line));
}

BOOST_AUTO_TEST_CASE(reply_with_text_payload_parses) {
  auto line = parse(R"({"type":"reply","id":7,"payload":"hi"})");
  BOOST_REQUIRE(line);
  auto* reply = std::get_if<reply_line>(&*line);
  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->id == 7u);
  BOOST_TEST(reply->payload == "hi");
}

BOOST_AUTO_TEST_CASE(reply_with_base64_payload_parses) {
  auto line = parse(R"({"type":"reply","id":1,"payload_b64":"/wAB"})");
  BOOST_REQUIRE(line);
  auto* reply = std::get_if<reply_line>(&*line);
  BOOST_REQUIRE(reply);
  BOOST_TEST(reply->payload == std::string("\xff\x00\x01", 3));
}

BOOST_AUTO_TEST_CASE(request_line_parses_with_timeout) {
  auto line = parse(R"({"type":"request","ref":3,"to":"worker","topic":"t",)"
                    R"("payload":"p","timeout_ms":250})");
  BOOST_REQUIRE(line);
  auto* request = std::get_if<request_line>(&*line);
  BOOST_REQUIRE(request);
  BOOST_TEST(request->ref == 3u);
  BOOST_TEST(request->to == "worker");
  BOOST_TEST(request->timeout_ms == 250u);
}

BOOST_AUTO_TEST_CASE(log_line_maps_levels) {
  auto line = parse(R"({"type":"log","level":"warn","text":"careful"})");
  BOOST_REQUIRE(line);
  auto* entry = std::get_if<log_line>(&*line);
  BOOST_REQUIRE(entry);
  BOOST_TEST(entry->level == spdlog::level::warn);
  BOOST_TEST(entry->text == "careful");
}

BOOST_AUTO_TEST_CASE(invalid_lines_name_the_problem) {
  BOOST_TEST(error_of("not json") == "not a JSON object");
  BOOST_TEST(error_of("[1,2]") == "not a JSON object");
  BOOST_TEST(error_of(R"({"kind":"ready"})").find("\"type\"")
             != std::string::npos);
  BOOST_TEST(error_of(R"({"type":"dance"})") == "type \"dance\" is unknown");
  BOOST_TEST(error_of(R"({"type":"reply","id":0})").find("\"id\"")
             != std::string::npos);
  BOOST_TEST(error_of(R"({"type":"reply","id":1,"payload_b64":"*"})")
               .find("base64")
             != std::string::npos);
  BOOST_TEST(error_of(R"({"type":"log","level":"loud","text":"x"})")
               .find("loud")
             != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrongly_typed_fields_are_invalid) {
  BOOST_TEST(!parse(R"({"type":7})"));
  BOOST_TEST(!parse(R"({"type":["ready"]})"));
  BOOST_TEST(!parse(R"({"type":"reply","id":"3","payload":"x"})"));
  BOOST_TEST(!parse(R"({"type":"reply","id":-3})"));
  BOOST_TEST(!parse(R"({"type":"reply","id":1.5})"));
  BOOST_TEST(!parse(R"({"type":"reply","id":18446744073709551616})"));
  BOOST_TEST(!parse(R"({"type":"reply","id":1,"payload":5})"));
  BOOST_TEST(!parse(R"({"type":"reply","id":1,"payload_b64":null})"));
  BOOST_TEST(!parse(R"({"type":"send","to":5,"topic":"t"})"));
  BOOST_TEST(!parse(R"({"type":"request","ref":1,"to":"x","topic":"t",)"
                    R"("timeout_ms":-1})"));
  BOOST_TEST(!parse(R"({"type":"log","level":3,"text":"x"})"));
  BOOST_TEST(!parse(R"({"type":"error","id":1,"message":{}})"));
}

BOOST_AUTO_TEST_CASE(nul_and_non_utf8_lines_are_invalid) {
  BOOST_TEST(!parse(std::string("{\"type\":\"log\",\"text\":\"a\0b\"}", 27)));
  BOOST_TEST(!parse("{\"type\":\"log\",\"text\":\"\xff\xfe\"}"));
  BOOST_TEST(!parse(std::string("{\"type\":\"ready\"}\0", 17)));
  BOOST_TEST(!parse(R"({"type":"reply","id":1,"payload_b64":"!!"})"));
  BOOST_TEST(!parse(R"({"type":"reply","id":1,"payload_b64":"YWJj="})"));
}

BOOST_AUTO_TEST_CASE(deeply_nested_line_is_invalid) {
  // Just under the 1 MiB line limit; the parser must not run out of stack.
  BOOST_TEST(!parse(std::string(1000000, '[')));
  std::string objects;
  for (int i = 0; i < 100000; ++i)
    objects += R"({"a":)";
  BOOST_TEST(!parse(objects));
  std::string closed = std::string(100000, '[') + std::string(100000, ']');
  BOOST_TEST(!parse(closed));
}

BOOST_AUTO_TEST_CASE(printable_escapes_control_bytes) {
  BOOST_TEST(printable("plain text") == "plain text");
  BOOST_TEST(printable("a\x1b[2Jb") == "a\\x1b[2Jb");
  BOOST_TEST(printable(std::string("a\0\nb", 4)) == "a\\x00\\x0ab");
  BOOST_TEST(printable("caf\xc3\xa9") == "caf\xc3\xa9");
  BOOST_TEST(printable("bad \xff") == "bad \\xff");
}

BOOST_AUTO_TEST_CASE(message_line_ends_with_payload) {
  auto text = encode_message(5, "local:2", "echo", "hi");
  BOOST_TEST(text
             == R"({"type":"message","id":5,"from":"local:2","topic":"echo",)"
                R"("payload":"hi"})"
                  "\n");
}

BOOST_AUTO_TEST_CASE(cast_line_has_no_id) {
  auto text = encode_message(0, "local:2", "note", "x");
  BOOST_TEST(text.find("\"id\"") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(binary_payload_goes_as_base64) {
  auto text = encode_message(1, "local:2", "echo", std::string("\xff\x00", 2));
  BOOST_TEST(text.find(R"("payload_b64":"/wA=")") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_topic_still_encodes) {
  auto text = encode_response_error(4, "bad \xff byte");
  BOOST_TEST(text.find("\"ref\":4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(spec_is_hardened_by_default) {
  spawn_request request;
  request.agent_id = "a";
  request.backend = container_backend{"localhost/img:1"};
  request.env["K"] = "v";
  limits memory_cap;
  memory_cap.memory_bytes = 64ull << 20;
  agent_cell cell{std::make_shared<const capabilities>(),
                  std::make_shared<const limits>(memory_cap)};
  cell.pid = 9;
  cell.agent_id = "a";

  auto spec = make_container_spec(engine_settings{}, request, cell, "n1",
                                  "corral-1-1-n1-9");

  BOOST_TEST(contains(spec.options, {"--network", "none"}));
  BOOST_TEST(contains(spec.options, {"--read-only"}));
  BOOST_TEST(contains(spec.options, {"--cap-drop", "ALL"}));
  BOOST_TEST(contains(spec.options,
                      {"--security-opt", "no-new-privileges"}));
  BOOST_TEST(contains(spec.options, {"--memory", "67108864"}));
  BOOST_TEST(contains(spec.options, {"--env", "K=v"}));
  BOOST_TEST(spec.options.back() == "localhost/img:1");
  BOOST_TEST(contains(spec.identity, {"--label", "corral.pid=9"}));
}

BOOST_AUTO_TEST_CASE(spec_with_can_network_keeps_network) {
  spawn_request request;
  request.backend = container_backend{"img"};
  request.agent_type = "/agents/agent --flag";
  capabilities network;
  network.can_network = true;
  agent_cell cell{std::make_shared<const capabilities>(network),
                  std::make_shared<const limits>()};

  auto spec = make_container_spec(engine_settings{}, request, cell, "n", "c");

  BOOST_TEST(!contains(spec.options, {"--network", "none"}));
  BOOST_TEST(contains(spec.options, {"img", "/agents/agent", "--flag"}));
}

BOOST_AUTO_TEST_CASE(container_name_is_engine_safe) {
  auto name = make_container_name("node one/x", "7");
  BOOST_TEST(name.find(' ') == std::string::npos);
  BOOST_TEST(name.find('/') == std::string::npos);
  BOOST_TEST(name.rfind("corral-", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
