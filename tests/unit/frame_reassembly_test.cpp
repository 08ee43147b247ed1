// Reassembly of chunked messages on the receiving I/O thread: the whole
// body is reserved at the first chunk, so that no later chunk copies the
// bytes received before it in one long step.

#include <algorithm>
#include <chrono>
#include <iostream>
#include <string>

#include <boost/test/unit_test.hpp>

#include "net/frame_reassembly.hpp"

using namespace corral;
using clock_type = std::chrono::steady_clock;

namespace {

frame_header chunk_header(std::uint32_t index, std::uint32_t count,
                          std::size_t size) {
  frame_header header;
  header.kind = first_payload_kind;
  header.lane = 1;
  header.message_id = 7;
  header.chunk_index = index;
  header.chunk_count = count;
  header.body_size = static_cast<std::uint32_t>(size);
  return header;
}

double elapsed_ms(clock_type::time_point since) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - since)
    .count();
}

} // namespace

BOOST_AUTO_TEST_CASE(first_chunk_reserves_whole_message) {
  frame_reassembly reassembly{1 << 20};
  std::string chunk(1000, 'a');
  std::string last(500, 'b');
  std::string body;
  BOOST_TEST(static_cast<int>(reassembly.add("n1", chunk_header(0, 3, 1000),
                                             chunk, body))
             == static_cast<int>(frame_reassembly::outcome::pending));
  BOOST_TEST(static_cast<int>(reassembly.add("n1", chunk_header(1, 3, 1000),
                                             chunk, body))
             == static_cast<int>(frame_reassembly::outcome::pending));
  BOOST_TEST(static_cast<int>(reassembly.add("n1", chunk_header(2, 3, 500),
                                             last, body))
             == static_cast<int>(frame_reassembly::outcome::complete));
  BOOST_TEST(body.size() == 2500u);
  BOOST_TEST(body == chunk + chunk + last);
  // Reserved once for 3 chunks of 1000 bytes. Growing by doubling would
  // have reallocated at the second and the third chunk.
  BOOST_TEST(body.capacity() == 3000u);
  BOOST_TEST(reassembly.bytes_kept("n1") == 0u);
}

BOOST_AUTO_TEST_CASE(reservation_stays_within_peer_bound) {
  frame_reassembly reassembly{2500};
  std::string chunk(1000, 'a');
  std::string body;
  BOOST_TEST(static_cast<int>(reassembly.add("n1", chunk_header(0, 4, 1000),
                                             chunk, body))
             == static_cast<int>(frame_reassembly::outcome::pending));
  BOOST_TEST(static_cast<int>(reassembly.add("n1", chunk_header(1, 4, 1000),
                                             chunk, body))
             == static_cast<int>(frame_reassembly::outcome::pending));
  BOOST_TEST(static_cast<int>(reassembly.add("n1", chunk_header(2, 4, 1000),
                                             chunk, body))
             == static_cast<int>(frame_reassembly::outcome::overflow));
  BOOST_TEST(reassembly.bytes_kept("n1") == 0u);
}

// Prints the longest single step of joining 64 MiB in 256 KiB chunks,
// next to plain appends to a string that grows by doubling, as before.
BOOST_AUTO_TEST_CASE(longest_step_of_64_mib_message) {
  constexpr std::size_t chunk_bytes = 256 * 1024;
  constexpr std::uint32_t count = 256;
  std::string chunk(chunk_bytes, 'c');

  double growing_max_ms = 0;
  {
    std::string grown;
    for (std::uint32_t i = 0; i < count; ++i) {
      auto start = clock_type::now();
      grown += chunk;
      growing_max_ms = std::max(growing_max_ms, elapsed_ms(start));
    }
    BOOST_TEST(grown.size() == chunk_bytes * count);
  }

  double reserved_max_ms = 0;
  frame_reassembly reassembly{128 * 1024 * 1024};
  std::string body;
  for (std::uint32_t i = 0; i < count; ++i) {
    auto start = clock_type::now();
    reassembly.add("n1", chunk_header(i, count, chunk_bytes), chunk, body);
    reserved_max_ms = std::max(reserved_max_ms, elapsed_ms(start));
  }
  BOOST_TEST(body.size() == chunk_bytes * count);
  std::cout << "64 MiB in 256 KiB chunks, longest single step: "
            << reserved_max_ms << " ms reserved at the first chunk, "
            << growing_max_ms << " ms growing by doubling\n";
}
