// WASM modules by content between nodes: the module store's bounds and
// counters, the spawning node's staging of a module file, and the target's
// check of the bytes that arrive.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include "actors/error.hpp"
#include "backends/remote/module_shipping.hpp"

using namespace corral;
using namespace corral::remote;

namespace corral {

// Lets Boost.Test print error codes in failed checks.
inline std::ostream& boost_test_print_type(std::ostream& out, errc x) {
  return out << to_string(x);
}

} // namespace corral

namespace {

/// A file in the temporary folder that is removed at the end of the test.
struct scratch_file {
  std::string path;

  explicit scratch_file(const std::string& bytes)
    : path((std::filesystem::temp_directory_path()
            / ("corral-module-" + std::to_string(::getpid()) + ".wat"))
             .string()) {
    std::ofstream out{path, std::ios::binary | std::ios::trunc};
    out << bytes;
  }

  ~scratch_file() {
    std::remove(path.c_str());
  }
};

} // namespace

BOOST_AUTO_TEST_CASE(sha256_of_empty_input) {
  BOOST_TEST(sha256_hex("")
             == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

BOOST_AUTO_TEST_CASE(store_evicts_least_recently_used) {
  module_store store{2};
  store.insert("a", "1");
  store.insert("b", "22");
  BOOST_TEST(store.find("a") != nullptr);
  store.insert("c", "333");
  BOOST_TEST(store.find("a") != nullptr);
  BOOST_TEST(store.find("b") == nullptr);
  BOOST_TEST(store.find("c") != nullptr);
  BOOST_TEST(store.stats().modules == 2u);
  BOOST_TEST(store.stats().bytes == 4u);
}

BOOST_AUTO_TEST_CASE(store_keeps_byte_bound) {
  module_store store{10, 5};
  store.insert("a", "123");
  store.insert("b", "456");
  BOOST_TEST(store.find("a") == nullptr);
  BOOST_TEST(store.stats().bytes == 3u);
  // The newest module stays even when it alone is over the bound.
  store.insert("c", "1234567");
  BOOST_TEST(store.find("c") != nullptr);
  BOOST_TEST(store.stats().modules == 1u);
}

BOOST_AUTO_TEST_CASE(evicted_bytes_live_while_held) {
  module_store store{1};
  auto held = store.insert("a", "bytes");
  store.insert("b", "other");
  BOOST_TEST(store.find("a") == nullptr);
  BOOST_TEST(*held == "bytes");
}

BOOST_AUTO_TEST_CASE(store_erase_and_counters) {
  module_store store;
  store.insert("a", "123");
  store.erase("a");
  store.erase("missing");
  store.count_sent();
  store.count_received();
  store.count_received();
  store.count_reused();
  auto stats = store.stats();
  BOOST_TEST(stats.modules == 0u);
  BOOST_TEST(stats.bytes == 0u);
  BOOST_TEST(stats.sent == 1u);
  BOOST_TEST(stats.received == 2u);
  BOOST_TEST(stats.reused == 1u);
}

BOOST_AUTO_TEST_CASE(stage_reads_file_and_sets_hash) {
  scratch_file file{"(module)"};
  module_store store;
  wasm_backend wasm{file.path, std::nullopt};
  auto error = stage_module(wasm, store, "n1");
  BOOST_TEST_REQUIRE(!error, describe(error));
  BOOST_TEST_REQUIRE(wasm.sha256.has_value());
  BOOST_TEST(*wasm.sha256 == sha256_hex("(module)"));
  auto stored = store.find(*wasm.sha256);
  BOOST_TEST_REQUIRE(stored != nullptr);
  BOOST_TEST(*stored == "(module)");
}

BOOST_AUTO_TEST_CASE(stage_missing_file_names_it) {
  module_store store;
  wasm_backend wasm{"/nonexistent/agent.wat", std::nullopt};
  auto error = stage_module(wasm, store, "n1");
  BOOST_TEST_REQUIRE(static_cast<bool>(error));
  auto detail = describe(error);
  BOOST_TEST(detail.find("/nonexistent/agent.wat") != std::string::npos,
             detail);
  BOOST_TEST(detail.find("node n1") != std::string::npos, detail);
  BOOST_TEST(store.stats().modules == 0u);
}

BOOST_AUTO_TEST_CASE(stage_rejects_other_expected_hash) {
  scratch_file file{"(module)"};
  module_store store;
  wasm_backend wasm{file.path, sha256_hex("something else")};
  auto error = stage_module(wasm, store, "n1");
  BOOST_TEST_REQUIRE(static_cast<bool>(error));
  BOOST_TEST(describe(error).find("but the spawn expects") != std::string::npos,
             describe(error));
  BOOST_TEST(store.stats().modules == 0u);
}

BOOST_AUTO_TEST_CASE(module_data_with_right_hash_passes) {
  remote_module_data data{7, sha256_hex("abc"), "abc", std::nullopt};
  BOOST_TEST(!check_module_data(data, sha256_hex("abc"), "n1").has_value());
}

BOOST_AUTO_TEST_CASE(module_data_with_wrong_hash_fails) {
  remote_module_data data{7, sha256_hex("abc"), "abd", std::nullopt};
  auto problem = check_module_data(data, sha256_hex("abc"), "n1");
  BOOST_TEST_REQUIRE(problem.has_value());
  BOOST_TEST(problem->code == errc::spawn_failed);
  BOOST_TEST(problem->detail.find(sha256_hex("abd")) != std::string::npos,
             problem->detail);
  BOOST_TEST(problem->detail.find("node n1") != std::string::npos,
             problem->detail);
}

BOOST_AUTO_TEST_CASE(module_data_over_limit_fails) {
  remote_module_data data;
  data.bytes.assign(max_module_bytes + 1, '\0');
  auto problem = check_module_data(data, sha256_hex(data.bytes), "n1");
  BOOST_TEST_REQUIRE(problem.has_value());
  BOOST_TEST(problem->code == errc::resource_limit_exceeded);
}

BOOST_AUTO_TEST_CASE(module_data_error_is_passed_on) {
  remote_module_data data{7, "x", {}, failure{errc::timeout, "gone"}};
  auto problem = check_module_data(data, "x", "n1");
  BOOST_TEST_REQUIRE(problem.has_value());
  BOOST_TEST(problem->detail == "gone");
}

BOOST_AUTO_TEST_CASE(module_bodies_round_trip) {
  remote_module_request ask{9, sha256_hex("m")};
  auto ask_back = from_binary<remote_module_request>(to_binary(ask));
  BOOST_TEST_REQUIRE(static_cast<bool>(ask_back));
  BOOST_TEST(ask_back->request_id == 9u);
  BOOST_TEST(ask_back->sha256 == ask.sha256);

  remote_module_data data{9, sha256_hex("m"), std::string{"\0asm", 4},
                          std::nullopt};
  auto data_back = from_binary<remote_module_data>(to_binary(data));
  BOOST_TEST_REQUIRE(static_cast<bool>(data_back));
  BOOST_TEST(data_back->bytes == data.bytes);
  BOOST_TEST(!data_back->error.has_value());
}
