// The body of a batch frame: round trips, and rejection of truncated
// bodies, lying entry counts, oversized counts and invalid entry kinds.

#include <random>
#include <string>

#include <boost/test/unit_test.hpp>

#include "serialization/frame_batch.hpp"
#include "serialization/wire_frame.hpp"

using namespace corral;

namespace corral {

/// Lets Boost.Test print batch errors in failed checks.
inline std::ostream& boost_test_print_type(std::ostream& out, batch_error x) {
  return out << to_string(x);
}

} // namespace corral

namespace {

constexpr std::uint8_t kind_a = first_payload_kind;
constexpr std::uint8_t kind_b = last_payload_kind;

std::string sample_batch() {
  std::string body;
  begin_batch(body);
  const std::string first = "hello";
  const std::string second(300, 'x');
  append_batch_entry(body, kind_a, first.data(), first.size());
  append_batch_entry(body, kind_b, second.data(), second.size());
  append_batch_entry(body, kind_a, nullptr, 0);
  return body;
}

void set_count(std::string& body, std::uint32_t count) {
  for (int i = 0; i < 4; ++i)
    body[i] = static_cast<char>((count >> (8 * i)) & 0xff);
}

} // namespace

BOOST_AUTO_TEST_SUITE(frame_batch)

BOOST_AUTO_TEST_CASE(batch_round_trips) {
  auto body = sample_batch();
  BOOST_TEST(batch_entry_count(body) == 3u);
  BOOST_TEST(body.size()
             == batch_count_bytes + batch_entry_bytes(5)
                  + batch_entry_bytes(300) + batch_entry_bytes(0));
  auto decoded = decode_batch(body);
  BOOST_TEST_REQUIRE(decoded.error == batch_error::none, decoded.detail);
  BOOST_TEST_REQUIRE(decoded.entries.size() == 3u);
  BOOST_TEST(decoded.entries[0].kind == kind_a);
  BOOST_TEST(decoded.entries[0].body == "hello");
  BOOST_TEST(decoded.entries[1].kind == kind_b);
  BOOST_TEST(decoded.entries[1].body == std::string(300, 'x'));
  BOOST_TEST(decoded.entries[2].body.empty());
}

BOOST_AUTO_TEST_CASE(batch_layout_is_little_endian) {
  auto body = sample_batch();
  BOOST_TEST(body[0] == 3);  // entry count, lowest byte first
  BOOST_TEST(body[1] == 0);
  BOOST_TEST(static_cast<unsigned char>(body[4]) == kind_a);
  BOOST_TEST(body[5] == 5);  // first entry's size
  BOOST_TEST(body.substr(9, 5) == "hello");
}

BOOST_AUTO_TEST_CASE(truncated_batches_are_rejected) {
  auto body = sample_batch();
  // Every prefix is invalid: the count claims three entries.
  for (std::size_t size = 0; size < body.size(); ++size) {
    auto decoded = decode_batch(std::string_view{body}.substr(0, size));
    BOOST_TEST(decoded.error == batch_error::truncated, "size " << size);
    BOOST_TEST(decoded.entries.empty());
  }
}

BOOST_AUTO_TEST_CASE(count_above_entries_is_truncated) {
  auto body = sample_batch();
  set_count(body, 4);
  auto decoded = decode_batch(body);
  BOOST_TEST(decoded.error == batch_error::truncated);
  BOOST_TEST(decoded.detail.find("entry 3 of 4") != std::string::npos,
             decoded.detail);
}

BOOST_AUTO_TEST_CASE(count_below_entries_leaves_trailing_bytes) {
  auto body = sample_batch();
  set_count(body, 2);
  auto decoded = decode_batch(body);
  BOOST_TEST(decoded.error == batch_error::trailing_bytes);
  BOOST_TEST(decoded.entries.empty());
  BOOST_TEST(decoded.detail.find("5 bytes after its last entry")
               != std::string::npos,
             decoded.detail);
}

BOOST_AUTO_TEST_CASE(entry_size_beyond_body_is_truncated) {
  auto body = sample_batch();
  body[5] = 100; // the first entry claims 100 bytes
  body[6] = 10;
  auto decoded = decode_batch(body);
  BOOST_TEST(decoded.error == batch_error::truncated);
  BOOST_TEST(decoded.detail.find("entry 0") != std::string::npos,
             decoded.detail);
}

BOOST_AUTO_TEST_CASE(oversized_count_is_rejected_before_allocating) {
  auto body = sample_batch();
  set_count(body, max_batch_entries + 1);
  auto decoded = decode_batch(body);
  BOOST_TEST(decoded.error == batch_error::invalid_count);
  BOOST_TEST(decoded.detail.find(std::to_string(max_batch_entries))
               != std::string::npos,
             decoded.detail);

  // A count within the limit that the body cannot hold reserves nothing.
  set_count(body, max_batch_entries);
  decoded = decode_batch(body);
  BOOST_TEST(decoded.error == batch_error::truncated);
  BOOST_TEST(decoded.entries.capacity() == 0u);
}

BOOST_AUTO_TEST_CASE(empty_batch_is_rejected) {
  std::string body;
  begin_batch(body);
  BOOST_TEST(decode_batch(body).error == batch_error::invalid_count);
}

BOOST_AUTO_TEST_CASE(entry_kind_outside_payload_range_is_rejected) {
  for (int kind : {0, 1, 6, 31, 128, 255}) {
    std::string body;
    begin_batch(body);
    append_batch_entry(body, static_cast<std::uint8_t>(kind), "x", 1);
    auto decoded = decode_batch(body);
    BOOST_TEST(decoded.error == batch_error::invalid_entry_kind,
               "kind " << kind);
  }
}

BOOST_AUTO_TEST_CASE(random_bodies_never_throw) {
  std::mt19937 random{11};
  std::uniform_int_distribution<int> byte{0, 255};
  std::uniform_int_distribution<int> length{0, 64};
  for (int i = 0; i < 5000; ++i) {
    std::string body(static_cast<std::size_t>(length(random)), '\0');
    for (auto& c : body)
      c = static_cast<char>(byte(random));
    // Small counts, so that some bodies get past the count check.
    if (body.size() >= 4) {
      body[1] = body[2] = body[3] = 0;
      body[0] = static_cast<char>(byte(random) % 4);
    }
    auto decoded = decode_batch(body);
    if (decoded.error == batch_error::none)
      BOOST_TEST(decoded.entries.size() == batch_entry_count(body));
  }
}

BOOST_AUTO_TEST_SUITE_END()
