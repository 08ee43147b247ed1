// The node-to-node wire format: header layout, round trips of every body,
// and rejection of truncated, malformed and out-of-range input.

#include <random>
#include <string>

#include <boost/test/unit_test.hpp>

#include "serialization/node_id.hpp"
#include "serialization/wire_frame.hpp"

using namespace corral;

namespace corral {

/// Lets Boost.Test print header errors in failed checks.
inline std::ostream& boost_test_print_type(std::ostream& out, frame_error x) {
  return out << to_string(x);
}

inline std::ostream& boost_test_print_type(std::ostream& out, member_state x) {
  return out << to_string(x);
}

} // namespace corral

namespace {

frame_header sample_header() {
  frame_header header;
  header.kind = static_cast<std::uint8_t>(frame_kind::gossip);
  header.lane = static_cast<std::uint8_t>(lane::bulk);
  header.message_id = 0x0102030405060708;
  header.chunk_index = 2;
  header.chunk_count = 3;
  header.body_size = 1000;
  return header;
}

decoded_header decode(const frame_header& header) {
  return decode_frame_header(encode_frame_header(header), frame_limits{});
}

template <class Body>
Body round_trip(const Body& body) {
  auto decoded = decode_body<Body>(encode_body(body));
  BOOST_TEST_REQUIRE(static_cast<bool>(decoded), decoded.error().detail);
  return *decoded;
}

hello_body sample_hello() {
  return hello_body{"n1", "tcp://127.0.0.1:7000", 1700000000000,
                    wire_protocol_version};
}

} // namespace

BOOST_AUTO_TEST_SUITE(wire_frame)

BOOST_AUTO_TEST_CASE(header_has_fixed_little_endian_layout) {
  auto bytes = encode_frame_header(sample_header());
  BOOST_TEST_REQUIRE(bytes.size() == frame_header_bytes);
  BOOST_TEST(bytes[0] == 1);  // cereal's little-endian flag
  BOOST_TEST(bytes[1] == static_cast<char>(wire_protocol_version & 0xff));
  BOOST_TEST(bytes[2] == static_cast<char>(wire_protocol_version >> 8));
  BOOST_TEST(bytes[3] == static_cast<char>(frame_kind::gossip));
  BOOST_TEST(bytes[4] == 1);  // lane bulk
  BOOST_TEST(bytes[5] == 0x08); // message_id, lowest byte first
  BOOST_TEST(bytes[12] == 0x01);
  BOOST_TEST(bytes[13] == 2);  // chunk_index
  BOOST_TEST(bytes[17] == 3);  // chunk_count
  BOOST_TEST(static_cast<unsigned char>(bytes[21]) == (1000 & 0xff));
  BOOST_TEST(bytes[22] == (1000 >> 8));
}

BOOST_AUTO_TEST_CASE(header_bytes_match_cereal) {
  std::mt19937_64 random{7};
  for (int i = 0; i < 200; ++i) {
    frame_header header;
    header.version = static_cast<std::uint16_t>(random());
    header.kind = static_cast<std::uint8_t>(random());
    header.lane = static_cast<std::uint8_t>(random());
    header.message_id = random();
    header.chunk_index = static_cast<std::uint32_t>(random());
    header.chunk_count = static_cast<std::uint32_t>(random());
    header.body_size = static_cast<std::uint32_t>(random());
    BOOST_TEST(encode_frame_header(header) == to_binary(header),
               "header " << i);
  }
}

BOOST_AUTO_TEST_CASE(big_endian_header_is_read) {
  // cereal writes flag 0 and big-endian fields on a big-endian machine.
  auto header = sample_header();
  std::string bytes(1, '\0');
  auto put_be = [&](std::uint64_t value, int size) {
    for (int i = size - 1; i >= 0; --i)
      bytes.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  };
  put_be(header.version, 2);
  put_be(header.kind, 1);
  put_be(header.lane, 1);
  put_be(header.message_id, 8);
  put_be(header.chunk_index, 4);
  put_be(header.chunk_count, 4);
  put_be(header.body_size, 4);
  auto decoded = decode_frame_header(bytes, frame_limits{});
  BOOST_TEST_REQUIRE(decoded.error == frame_error::none, decoded.detail);
  BOOST_TEST(decoded.header.message_id == header.message_id);
  BOOST_TEST(decoded.header.chunk_index == header.chunk_index);
  BOOST_TEST(decoded.header.body_size == header.body_size);
}

BOOST_AUTO_TEST_CASE(batch_kind_passes_header_checks) {
  auto header = sample_header();
  header.kind = static_cast<std::uint8_t>(frame_kind::batch);
  header.chunk_index = 0;
  header.chunk_count = 1;
  BOOST_TEST(decode(header).error == frame_error::none);
  BOOST_TEST(kind_name(header.kind) == "batch");
}

BOOST_AUTO_TEST_CASE(header_round_trips) {
  auto decoded = decode(sample_header());
  BOOST_TEST_REQUIRE(decoded.error == frame_error::none, decoded.detail);
  BOOST_TEST(decoded.header.kind == sample_header().kind);
  BOOST_TEST(decoded.header.lane == 1);
  BOOST_TEST(decoded.header.message_id == 0x0102030405060708u);
  BOOST_TEST(decoded.header.chunk_index == 2u);
  BOOST_TEST(decoded.header.chunk_count == 3u);
  BOOST_TEST(decoded.header.body_size == 1000u);
}

BOOST_AUTO_TEST_CASE(header_prefixes_are_truncated) {
  auto bytes = encode_frame_header(sample_header());
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    auto decoded = decode_frame_header(bytes.substr(0, size), frame_limits{});
    BOOST_TEST(decoded.error == frame_error::truncated, "size " << size);
    BOOST_TEST(decoded.detail.find(std::to_string(size) + " bytes")
                 != std::string::npos,
               decoded.detail);
  }
}

BOOST_AUTO_TEST_CASE(header_with_extra_bytes_is_malformed) {
  auto bytes = encode_frame_header(sample_header()) + "x";
  auto decoded = decode_frame_header(bytes, frame_limits{});
  BOOST_TEST(decoded.error == frame_error::malformed);
}

BOOST_AUTO_TEST_CASE(header_with_bad_endianness_flag_is_malformed) {
  auto bytes = encode_frame_header(sample_header());
  bytes[0] = 7;
  auto decoded = decode_frame_header(bytes, frame_limits{});
  BOOST_TEST(decoded.error == frame_error::malformed);
  BOOST_TEST(decoded.detail.find("endianness") != std::string::npos,
             decoded.detail);
}

BOOST_AUTO_TEST_CASE(unknown_version_is_named) {
  auto header = sample_header();
  header.version = 7;
  auto decoded = decode(header);
  BOOST_TEST(decoded.error == frame_error::unsupported_version);
  BOOST_TEST(decoded.detail.find("version 7") != std::string::npos,
             decoded.detail);
}

BOOST_AUTO_TEST_CASE(kinds_outside_both_ranges_are_unknown) {
  for (int kind : {0, 7, 31, 128, 255}) {
    auto header = sample_header();
    header.kind = static_cast<std::uint8_t>(kind);
    auto decoded = decode(header);
    BOOST_TEST(decoded.error == frame_error::unknown_kind, "kind " << kind);
    BOOST_TEST(decoded.detail.find("kind " + std::to_string(kind))
                 != std::string::npos,
               decoded.detail);
  }
}

BOOST_AUTO_TEST_CASE(payload_kinds_pass) {
  for (int kind : {32, 34, 50, 127}) {
    auto header = sample_header();
    header.kind = static_cast<std::uint8_t>(kind);
    BOOST_TEST(decode(header).error == frame_error::none, "kind " << kind);
  }
}

BOOST_AUTO_TEST_CASE(lane_above_bulk_is_invalid) {
  auto header = sample_header();
  header.lane = 2;
  auto decoded = decode(header);
  BOOST_TEST(decoded.error == frame_error::invalid_lane);
  BOOST_TEST(decoded.detail.find("lane 2") != std::string::npos,
             decoded.detail);
}

BOOST_AUTO_TEST_CASE(chunk_fields_are_checked) {
  auto header = sample_header();
  header.chunk_count = 0;
  header.chunk_index = 0;
  BOOST_TEST(decode(header).error == frame_error::invalid_chunk);

  header.chunk_count = 3;
  header.chunk_index = 3;
  BOOST_TEST(decode(header).error == frame_error::invalid_chunk);

  header.chunk_index = 0;
  header.chunk_count = frame_limits{}.max_chunk_count + 1;
  BOOST_TEST(decode(header).error == frame_error::invalid_chunk);
}

BOOST_AUTO_TEST_CASE(body_size_over_limit_is_oversized) {
  auto header = sample_header();
  header.body_size = frame_limits{}.max_body_bytes + 1;
  auto decoded = decode(header);
  BOOST_TEST(decoded.error == frame_error::oversized);
  BOOST_TEST(decoded.detail.find(std::to_string(header.body_size))
               != std::string::npos,
             decoded.detail);
}

BOOST_AUTO_TEST_CASE(random_headers_never_throw) {
  std::mt19937 random{42};
  std::uniform_int_distribution<int> byte{0, 255};
  for (int i = 0; i < 2000; ++i) {
    std::string bytes(frame_header_bytes, '\0');
    for (auto& c : bytes)
      c = static_cast<char>(byte(random));
    auto decoded = decode_frame_header(bytes, frame_limits{});
    if (decoded.error == frame_error::none)
      BOOST_TEST(decoded.header.version == wire_protocol_version);
  }
}

BOOST_AUTO_TEST_CASE(hello_round_trips) {
  auto hello = round_trip(sample_hello());
  BOOST_TEST(hello.node_id == "n1");
  BOOST_TEST(hello.address == "tcp://127.0.0.1:7000");
  BOOST_TEST(hello.incarnation == 1700000000000u);
  BOOST_TEST(hello.protocol_version == wire_protocol_version);
}

BOOST_AUTO_TEST_CASE(heartbeat_and_ack_round_trip) {
  auto heartbeat = round_trip(heartbeat_body{7, 123456789, 42});
  BOOST_TEST(heartbeat.sequence == 7u);
  BOOST_TEST(heartbeat.sent_ns == 123456789u);
  BOOST_TEST(heartbeat.agents == 42u);
  auto ack = round_trip(heartbeat_ack_body{7, 123456789});
  BOOST_TEST(ack.sequence == 7u);
  BOOST_TEST(ack.echoed_sent_ns == 123456789u);
}

BOOST_AUTO_TEST_CASE(gossip_and_leave_round_trip) {
  gossip_body gossip;
  gossip.members.push_back({"n1", "tcp://127.0.0.1:7000",
                            member_state::alive, 5, 9});
  gossip.members.push_back({"n2", "tcp://[::1]:7001", member_state::left, 6,
                            0});
  auto decoded = round_trip(gossip);
  BOOST_TEST_REQUIRE(decoded.members.size() == 2u);
  BOOST_TEST(decoded.members[0].node_id == "n1");
  BOOST_TEST(decoded.members[0].state == member_state::alive);
  BOOST_TEST(decoded.members[0].heartbeat == 9u);
  BOOST_TEST(decoded.members[1].address == "tcp://[::1]:7001");
  BOOST_TEST(decoded.members[1].state == member_state::left);
  BOOST_TEST(round_trip(leave_body{99}).incarnation == 99u);
}

BOOST_AUTO_TEST_CASE(body_prefixes_are_rejected) {
  auto bytes = encode_body(sample_hello());
  for (std::size_t size = 0; size < bytes.size(); ++size)
    BOOST_TEST(!decode_body<hello_body>(bytes.substr(0, size)),
               "size " << size);
}

BOOST_AUTO_TEST_CASE(hello_with_invalid_values_is_rejected) {
  auto bad_id = sample_hello();
  bad_id.node_id = "a:b";
  auto decoded = decode_body<hello_body>(encode_body(bad_id));
  BOOST_TEST_REQUIRE(!decoded);
  BOOST_TEST(decoded.error().detail.find("node id") != std::string::npos,
             decoded.error().detail);

  auto bad_address = sample_hello();
  bad_address.address = "udp://x";
  decoded = decode_body<hello_body>(encode_body(bad_address));
  BOOST_TEST_REQUIRE(!decoded);
  BOOST_TEST(decoded.error().detail.find("udp://x") != std::string::npos,
             decoded.error().detail);

  auto bad_version = sample_hello();
  bad_version.protocol_version = 9;
  decoded = decode_body<hello_body>(encode_body(bad_version));
  BOOST_TEST_REQUIRE(!decoded);
  BOOST_TEST(decoded.error().detail.find("protocol_version 9")
               != std::string::npos,
             decoded.error().detail);
}

BOOST_AUTO_TEST_CASE(gossip_with_unknown_state_is_rejected) {
  gossip_body gossip;
  gossip.members.push_back({"n1", "tcp://127.0.0.1:7000",
                            member_state::alive, 5, 9});
  auto bytes = encode_body(gossip);
  // The state byte follows the two strings: 8-byte count, 8-byte length
  // and "n1", 8-byte length and the address.
  auto state_at = 1 + 8 + 8 + 2 + 8 + std::string{"tcp://127.0.0.1:7000"}.size();
  BOOST_TEST_REQUIRE(bytes[state_at] == 1);
  bytes[state_at] = 9;
  auto decoded = decode_body<gossip_body>(bytes);
  BOOST_TEST_REQUIRE(!decoded);
  BOOST_TEST(decoded.error().detail.find("enumerator 9") != std::string::npos,
             decoded.error().detail);
}

BOOST_AUTO_TEST_CASE(forged_member_count_fails_without_allocating) {
  std::string bytes(1, '\x01');
  for (int i = 0; i < 8; ++i)
    bytes += '\xff';
  BOOST_TEST(!decode_body<gossip_body>(bytes));
}

BOOST_AUTO_TEST_CASE(kind_names) {
  BOOST_TEST(kind_name(1) == "hello");
  BOOST_TEST(kind_name(34) == "message");
  BOOST_TEST(kind_name(100) == "payload kind 100");
  BOOST_TEST(kind_name(200) == "kind 200");
}

BOOST_AUTO_TEST_CASE(node_id_rules) {
  BOOST_TEST(!node_id_error("n1"));
  BOOST_TEST(!node_id_error("node-1.example_A"));
  BOOST_TEST(static_cast<bool>(node_id_error("")));
  BOOST_TEST(static_cast<bool>(node_id_error("a b")));
  BOOST_TEST(static_cast<bool>(node_id_error("a:b")));
  BOOST_TEST(static_cast<bool>(node_id_error("a/b")));
  BOOST_TEST(static_cast<bool>(node_id_error(std::string(129, 'x'))));
  BOOST_TEST(!node_id_error(std::string(128, 'x')));
}

BOOST_AUTO_TEST_SUITE_END()
