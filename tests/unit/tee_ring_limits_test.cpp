// The Tee channel's shared rings at their limits: frames at and around the
// ring's capacity, frames beyond the largest a channel carries, a host
// that stops reading its ring, and the descriptors and mappings of many
// agents after they stop.

#include <dirent.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sodium.h>

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/secure_channel.hpp"
#include "backends/tee/frame_io.hpp"
#include "backends/tee/shared_ring.hpp"
#include "tee_test_support.hpp"

using namespace corral;
using namespace corral::testing;
using tee::test_fault;

namespace {

std::string echo_workload() {
  return example_module("echo.wat");
}

/// Returns the number of entries in the directory `path` but "." and "..".
int count_entries(const std::string& path) {
  int count = 0;
  DIR* directory = ::opendir(path.c_str());
  if (directory == nullptr)
    return -1;
  while (auto* entry = ::readdir(directory)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..")
      ++count;
  }
  ::closedir(directory);
  return count;
}

/// Returns the number of this process's mappings of a channel's rings.
int ring_mappings() {
  std::ifstream maps("/proc/self/maps");
  int count = 0;
  std::string line;
  while (std::getline(maps, line))
    if (line.find("corral-enclave-ring") != std::string::npos)
      ++count;
  return count;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tee_ring_limits)

BOOST_AUTO_TEST_CASE(memory_is_sealed_against_resizing) {
  std::string error;
  auto memory = tee::shared_ring_memory::create(error);
  BOOST_TEST_REQUIRE(static_cast<bool>(memory), error);
  // A host holding this descriptor could otherwise shrink the file and
  // make the node's next access to the mapping raise SIGBUS.
  BOOST_TEST(::ftruncate(memory->fd(), 4096) == -1);
  BOOST_TEST(errno == EPERM);
  BOOST_TEST(::ftruncate(memory->fd(), 1 << 30) == -1);
  BOOST_TEST(errno == EPERM);
}

BOOST_AUTO_TEST_CASE(frames_around_capacity_echo) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  // Both directions' framed messages are a few dozen bytes larger than
  // their payload, so this range covers frames of exactly the ring's
  // capacity, one byte less and one byte more, in both directions.
  const auto capacity = tee::ring_capacity;
  message sample;
  sample.from = global_pid{"test", 1000};
  sample.to = global_pid{"test", 1};
  sample.topic = "echo";
  sample.payload = std::string(capacity, 'a');
  sample.correlation_id = 1000;
  sample.kind = message_kind::request;
  auto overhead = tee::encode_frame(tee::deliver_frame{sample}).size()
                  - sample.payload.size()
                  + tee::sealed_overhead + 4;
  BOOST_TEST_REQUIRE(overhead < 120u);
  for (auto size = capacity - 160; size <= capacity + 8; ++size) {
    std::string payload(size, static_cast<char>('a' + size % 26));
    auto reply = fixture.node().request("enclave", "echo", payload,
                                        std::chrono::seconds{5});
    BOOST_TEST_REQUIRE(static_cast<bool>(reply),
                       "payload of " << size << " bytes: "
                                     << (reply ? std::string()
                                               : describe(reply.error())));
    BOOST_TEST_REQUIRE((reply->payload == payload),
                       "payload of " << size << " bytes came back changed");
  }
}

BOOST_AUTO_TEST_CASE(frame_over_channel_limit_is_rejected) {
  tee_node fixture;
  fixture.spawn(tee_request("enclave", echo_workload()));
  std::string payload(tee::max_frame_bytes, 'x');
  auto reply = fixture.node().request("enclave", "echo", payload,
                                      std::chrono::seconds{10});
  BOOST_TEST_REQUIRE(!reply);
  BOOST_TEST(code_of(reply) == errc::resource_limit_exceeded,
             describe(reply.error()));
  // The channel stays usable after a message that did not fit.
  BOOST_TEST(fixture.ask("enclave", "echo", "after") == "after");
}

BOOST_AUTO_TEST_CASE(host_not_reading_times_out_write) {
  auto options = simulation_options(test_fault::stall_reading);
  options.channel_write_timeout = std::chrono::milliseconds{500};
  tee_node fixture{options};
  auto spawned = fixture.spawn(tee_request("enclave", echo_workload()));
  BOOST_TEST_REQUIRE(fixture.ask("enclave", "echo", "first") == "first");

  // The host no longer reads, so this fills the ring and waits for room
  // until the write timeout, and no longer.
  std::string large(4 * tee::ring_capacity, 'L');
  auto start = std::chrono::steady_clock::now();
  auto reply = fixture.node().request("enclave", "echo", large,
                                      std::chrono::seconds{10});
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - start);
  BOOST_TEST(!reply);
  BOOST_TEST(waited.count() < 5'000);
  auto reason = exit_of(fixture.node(), spawned.pid);
  BOOST_TEST_REQUIRE(reason.has_value());
  BOOST_TEST(reason->kind == exit_kind::backend_failure);
  BOOST_TEST(reason->detail.find("did not read a frame within 500 ms")
               != std::string::npos,
             reason->detail);
  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
}

BOOST_AUTO_TEST_CASE(stopped_agents_free_descriptors_and_rings) {
  tee_node fixture;
  // One round first, so that threads and descriptors made once per node
  // (schedulers, the clock) are there before the count.
  fixture.spawn(tee_request("warm-up", echo_workload()));
  BOOST_TEST_REQUIRE(static_cast<bool>(fixture.node().stop("warm-up")));
  BOOST_TEST_REQUIRE(wait_until([] { return enclave_host_children() == 0; },
                                patience));
  auto descriptors = count_entries("/proc/self/fd");
  auto threads = count_entries("/proc/self/task");
  auto mappings = ring_mappings();
  BOOST_TEST(mappings == 0);

  for (int i = 0; i < 50; ++i) {
    auto id = "enclave-" + std::to_string(i);
    fixture.spawn(tee_request(id, echo_workload()));
    // The node maps each agent's rings once, so a leak would show here.
    BOOST_TEST_REQUIRE(ring_mappings() == mappings + 1);
    BOOST_TEST_REQUIRE(fixture.ask(id, "echo", "x") == "x");
    BOOST_TEST_REQUIRE(static_cast<bool>(fixture.node().stop(id)));
  }

  BOOST_TEST(wait_until([] { return enclave_host_children() == 0; },
                        patience));
  BOOST_TEST(wait_until([&] { return ring_mappings() == mappings; },
                        patience),
             ring_mappings() << " ring mappings left, " << mappings
                             << " before");
  BOOST_TEST(wait_until(
               [&] { return count_entries("/proc/self/fd") <= descriptors; },
               patience),
             count_entries("/proc/self/fd") << " descriptors open, "
                                            << descriptors << " before");
  BOOST_TEST(wait_until(
               [&] { return count_entries("/proc/self/task") <= threads; },
               patience),
             count_entries("/proc/self/task") << " threads, " << threads
                                              << " before");
}

BOOST_AUTO_TEST_SUITE_END()
