// The CurveZMQ options of `corral node`: peer keys, key files and seeds.

#include <cstdlib>
#include <fstream>
#include <string>

#include <boost/test/unit_test.hpp>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/node_security.hpp"

using namespace corral;
using namespace corral::cli;

namespace {

/// A folder under /tmp that is removed with its files at the end.
struct key_folder {
  std::string path;

  key_folder() {
    char pattern[] = "/tmp/corral-keys-XXXXXX";
    path = ::mkdtemp(pattern);
  }

  ~key_folder() {
    std::string command = "rm -rf '" + path + "'";
    (void) std::system(command.c_str());
  }

  /// Writes `text` to `name` with mode 0600, as `corral keygen` writes a
  /// secret key.
  std::string write(const std::string& name, const std::string& text) const {
    auto file = path + "/" + name;
    std::ofstream{file} << text;
    ::chmod(file.c_str(), 0600);
    return file;
  }
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(peer_key_parses_valid_value) {
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  auto entry = parse_peer_key("n2=" + pair->public_key, "--peer-key");
  BOOST_TEST_REQUIRE(static_cast<bool>(entry), entry.error().detail);
  BOOST_TEST(entry->first == "n2");
  BOOST_TEST(entry->second == pair->public_key);
}

BOOST_AUTO_TEST_CASE(peer_key_allows_equals_in_node_id) {
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  auto entry = parse_peer_key("a=b=" + pair->public_key, "--peer-key");
  BOOST_TEST_REQUIRE(static_cast<bool>(entry), entry.error().detail);
  BOOST_TEST(entry->first == "a=b");
}

BOOST_AUTO_TEST_CASE(peer_key_wrong_length_names_value) {
  auto entry = parse_peer_key("n2=abc", "--peer-key");
  BOOST_TEST_REQUIRE(!entry);
  BOOST_TEST(contains(entry.error().detail, "n2=abc"), entry.error().detail);
  BOOST_TEST(contains(entry.error().detail, "3 characters"),
             entry.error().detail);
  BOOST_TEST(contains(entry.error().detail, "40"), entry.error().detail);
}

BOOST_AUTO_TEST_CASE(peer_key_bad_z85_names_character) {
  // 40 characters, but '~' is outside the Z85 alphabet.
  std::string key(39, 'a');
  key += '~';
  auto entry = parse_peer_key("n2=" + key, "--peer-key");
  BOOST_TEST_REQUIRE(!entry);
  BOOST_TEST(contains(entry.error().detail, key), entry.error().detail);
  BOOST_TEST(contains(entry.error().detail, "position 40"),
             entry.error().detail);
  BOOST_TEST(contains(entry.error().detail, "not a Z85 character"),
             entry.error().detail);
}

BOOST_AUTO_TEST_CASE(peer_key_without_equals_is_rejected) {
  auto entry = parse_peer_key("n2", "--peer-key");
  BOOST_TEST_REQUIRE(!entry);
  BOOST_TEST(contains(entry.error().detail, "NODE_ID=KEY"),
             entry.error().detail);
}

BOOST_AUTO_TEST_CASE(peer_key_bad_node_id_is_rejected) {
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  auto entry = parse_peer_key("a:b=" + pair->public_key, "--peer-key");
  BOOST_TEST_REQUIRE(!entry);
  BOOST_TEST(contains(entry.error().detail, "node id"), entry.error().detail);
}

BOOST_AUTO_TEST_CASE(peer_keys_file_names_line) {
  key_folder folder;
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  auto good = folder.write("good.peers", "# cluster keys\n\nn2="
                                           + pair->public_key + "\n");
  auto keys = read_peer_keys_file(good);
  BOOST_TEST_REQUIRE(static_cast<bool>(keys), keys.error().detail);
  BOOST_TEST(keys->size() == 1u);
  BOOST_TEST(keys->at("n2") == pair->public_key);

  auto bad = folder.write("bad.peers", "n2=" + pair->public_key
                                         + "\nn3=short\n");
  auto rejected = read_peer_keys_file(bad);
  BOOST_TEST_REQUIRE(!rejected);
  BOOST_TEST(contains(rejected.error().detail, "line 2"),
             rejected.error().detail);
  BOOST_TEST(contains(rejected.error().detail, "n3=short"),
             rejected.error().detail);
}

BOOST_AUTO_TEST_CASE(key_file_derives_public_key) {
  key_folder folder;
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  auto path = folder.write("n1.key", pair->secret_key + "\n");
  folder.write("n1.pub", pair->public_key + "\n");
  auto read = read_key_file(path);
  BOOST_TEST_REQUIRE(static_cast<bool>(read), read.error().detail);
  BOOST_TEST(read->public_key == pair->public_key);
  BOOST_TEST(read->secret_key == pair->secret_key);
}

BOOST_AUTO_TEST_CASE(key_file_error_hides_secret) {
  key_folder folder;
  std::string secret(39, 'x');
  auto path = folder.write("short.key", secret + "\n");
  auto read = read_key_file(path);
  BOOST_TEST_REQUIRE(!read);
  BOOST_TEST(contains(read.error().detail, path), read.error().detail);
  BOOST_TEST(!contains(read.error().detail, secret), read.error().detail);
}

BOOST_AUTO_TEST_CASE(key_file_with_other_public_key_is_rejected) {
  key_folder folder;
  auto pair = make_curve_key_pair();
  auto other = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  BOOST_TEST_REQUIRE(static_cast<bool>(other));
  auto path = folder.write("n1.key", pair->secret_key + "\n");
  folder.write("n1.pub", other->public_key + "\n");
  auto read = read_key_file(path);
  BOOST_TEST_REQUIRE(!read);
  BOOST_TEST(contains(read.error().detail, "does not match"),
             read.error().detail);
}

BOOST_AUTO_TEST_CASE(key_file_readable_by_others_is_rejected) {
  key_folder folder;
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  auto path = folder.write("n1.key", pair->secret_key + "\n");
  for (mode_t mode : {0640, 0604, 0620, 0666}) {
    BOOST_TEST_REQUIRE(::chmod(path.c_str(), mode) == 0);
    auto read = read_key_file(path);
    BOOST_TEST_REQUIRE(!read, "mode " << std::oct << mode);
    BOOST_TEST(contains(read.error().detail, "chmod 600"),
               read.error().detail);
    BOOST_TEST(!contains(read.error().detail, pair->secret_key),
               read.error().detail);
  }
  BOOST_TEST_REQUIRE(::chmod(path.c_str(), 0640) == 0);
  BOOST_TEST(contains(read_key_file(path).error().detail, "has mode 0640"));
  BOOST_TEST_REQUIRE(::chmod(path.c_str(), 0400) == 0);
  BOOST_TEST(static_cast<bool>(read_key_file(path)));
}

BOOST_AUTO_TEST_CASE(key_file_named_pub_is_rejected) {
  key_folder folder;
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  auto path = folder.write("n1.pub", pair->public_key + "\n");
  auto read = read_key_file(path);
  BOOST_TEST_REQUIRE(!read);
  BOOST_TEST(contains(read.error().detail, "is a public key file"),
             read.error().detail);
  BOOST_TEST(contains(read.error().detail, "PREFIX.key"), read.error().detail);
}

BOOST_AUTO_TEST_CASE(seed_splits_node_id) {
  auto seed = split_seed("n1@tcp://127.0.0.1:7000");
  BOOST_TEST(seed.node_id == "n1");
  BOOST_TEST(seed.address == "tcp://127.0.0.1:7000");
  auto plain = split_seed("tcp://127.0.0.1:7000");
  BOOST_TEST(plain.node_id.empty());
  BOOST_TEST(plain.address == "tcp://127.0.0.1:7000");
}

BOOST_AUTO_TEST_CASE(security_needs_key_and_peer) {
  key_folder folder;
  auto pair = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(pair));
  security_options options;
  auto no_key = load_curve_security(options, {}, "n1");
  BOOST_TEST_REQUIRE(!no_key);
  BOOST_TEST(contains(no_key.error().detail, "--key"), no_key.error().detail);
  BOOST_TEST(contains(no_key.error().detail, "corral keygen"),
             no_key.error().detail);

  options.key_file = folder.write("n1.key", pair->secret_key + "\n");
  auto no_peer = load_curve_security(options, {}, "n1");
  BOOST_TEST_REQUIRE(!no_peer);
  BOOST_TEST(contains(no_peer.error().detail, "peer key"),
             no_peer.error().detail);
}

BOOST_AUTO_TEST_CASE(security_needs_seed_node_id) {
  key_folder folder;
  auto self = make_curve_key_pair();
  auto peer = make_curve_key_pair();
  BOOST_TEST_REQUIRE(static_cast<bool>(self));
  BOOST_TEST_REQUIRE(static_cast<bool>(peer));
  security_options options;
  options.key_file = folder.write("n1.key", self->secret_key + "\n");
  options.peer_keys = {"n2=" + peer->public_key};

  auto plain = load_curve_security(
    options, {{"", "tcp://127.0.0.1:7000"}}, "n1");
  BOOST_TEST_REQUIRE(!plain);
  BOOST_TEST(contains(plain.error().detail, "NODE_ID@"),
             plain.error().detail);

  auto unknown = load_curve_security(
    options, {{"n9", "tcp://127.0.0.1:7000"}}, "n1");
  BOOST_TEST_REQUIRE(!unknown);
  BOOST_TEST(contains(unknown.error().detail, "n9"), unknown.error().detail);

  auto known = load_curve_security(
    options, {{"n2", "tcp://127.0.0.1:7000"}}, "n1");
  BOOST_TEST_REQUIRE(static_cast<bool>(known), known.error().detail);
  BOOST_TEST(known->seed_ids.at("tcp://127.0.0.1:7000") == "n2");
  BOOST_TEST(known->public_key == self->public_key);
}
