// The enclave channel's frame encoding. Deliver and done frames are
// written and read without cereal's streams. They must be the bytes that
// cereal writes and decode back to the same frame. Whatever the host
// changed in them, they must be accepted or rejected as cereal does.

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/host_log.hpp"

using namespace corral;
using namespace corral::tee;

namespace {

/// Returns messages that cover empty and long fields, bytes of every
/// value, extreme integers and every message kind.
std::vector<message> sample_messages() {
  std::string every_byte;
  for (int i = 0; i < 256; ++i)
    every_byte.push_back(static_cast<char>(i));
  std::vector<message> samples;
  samples.emplace_back();
  for (auto kind : {message_kind::cast, message_kind::request,
                    message_kind::reply, message_kind::failure}) {
    message msg;
    msg.from = global_pid{"node-a", 42};
    msg.to = global_pid{"", std::numeric_limits<std::uint64_t>::max()};
    msg.topic = "echo";
    msg.payload = every_byte + std::string(70000, 'p');
    msg.correlation_id = 0x0102030405060708u;
    msg.trace_id = std::numeric_limits<std::uint64_t>::max() - 1;
    msg.kind = kind;
    samples.push_back(msg);
  }
  return samples;
}

/// Returns done frames with and without a reply, negative and extreme
/// values, and every status.
std::vector<done_frame> sample_done_frames() {
  std::vector<done_frame> samples;
  samples.emplace_back();
  for (std::uint8_t status = 0; status < 6; ++status) {
    done_frame done;
    done.status = status;
    done.value = status % 2 == 0 ? -7 : std::numeric_limits<int>::max();
    if (status % 2 == 0)
      done.reply = std::string("reply\0with zero", 15);
    done.instructions = 123456789u;
    done.memory_bytes = std::numeric_limits<std::uint64_t>::max();
    done.cpu_ns = 1u;
    done.detail = status == 1 ? std::string(300, 'd') : std::string();
    samples.push_back(done);
  }
  done_frame empty_reply;
  empty_reply.reply = std::string();
  samples.push_back(empty_reply);
  return samples;
}

/// Returns "rejected", or the cereal form of the decoded frame, so that
/// two decoders' results compare as strings.
std::string outcome(const std::optional<channel_frame>& frame) {
  return frame ? to_binary(*frame) : std::string("rejected");
}

std::string cereal_outcome(const std::string& bytes) {
  auto decoded = from_binary<channel_frame>(bytes);
  return decoded ? to_binary(*decoded) : std::string("rejected");
}

/// Returns small deliver and done frames, so that every byte of them can
/// be changed in turn.
std::vector<std::string> small_frames() {
  message msg;
  msg.from = global_pid{"n1", 7};
  msg.to = global_pid{"n2", 9};
  msg.topic = "t";
  msg.payload = "pay";
  msg.correlation_id = 3;
  msg.kind = message_kind::request;
  done_frame with_reply;
  with_reply.reply = "ok";
  with_reply.detail = "d";
  return {encode_frame(deliver_frame{msg}), encode_frame(with_reply),
          encode_frame(done_frame{})};
}

bool same_message(const message& x, const message& y) {
  return x.from == y.from && x.to == y.to && x.topic == y.topic
         && x.payload == y.payload && x.correlation_id == y.correlation_id
         && x.trace_id == y.trace_id && x.kind == y.kind;
}

} // namespace

BOOST_AUTO_TEST_SUITE(frame_codec)

BOOST_AUTO_TEST_CASE(deliver_frame_matches_cereal) {
  int index = 0;
  for (const auto& msg : sample_messages()) {
    channel_frame frame = deliver_frame{msg};
    auto bytes = encode_frame(frame);
    BOOST_TEST(bytes == to_binary(frame), "sample " << index);
    auto decoded = decode_frame(bytes);
    BOOST_TEST_REQUIRE(decoded.has_value(), "sample " << index);
    const auto* deliver = std::get_if<deliver_frame>(&*decoded);
    BOOST_TEST_REQUIRE(deliver != nullptr, "sample " << index);
    BOOST_TEST(same_message(deliver->msg, msg), "sample " << index);
    ++index;
  }
}

BOOST_AUTO_TEST_CASE(done_frame_matches_cereal) {
  int index = 0;
  for (const auto& done : sample_done_frames()) {
    channel_frame frame = done;
    auto bytes = encode_frame(frame);
    BOOST_TEST(bytes == to_binary(frame), "sample " << index);
    auto decoded = decode_frame(bytes);
    BOOST_TEST_REQUIRE(decoded.has_value(), "sample " << index);
    const auto* back = std::get_if<done_frame>(&*decoded);
    BOOST_TEST_REQUIRE(back != nullptr, "sample " << index);
    BOOST_TEST(back->status == done.status, "sample " << index);
    BOOST_TEST(back->value == done.value, "sample " << index);
    BOOST_TEST((back->reply == done.reply), "sample " << index);
    BOOST_TEST(back->instructions == done.instructions, "sample " << index);
    BOOST_TEST(back->memory_bytes == done.memory_bytes, "sample " << index);
    BOOST_TEST(back->cpu_ns == done.cpu_ns, "sample " << index);
    BOOST_TEST(back->detail == done.detail, "sample " << index);
    ++index;
  }
}

BOOST_AUTO_TEST_CASE(changed_bytes_decode_as_cereal) {
  int frame_index = 0;
  for (const auto& original : small_frames()) {
    for (std::size_t at = 0; at < original.size(); ++at) {
      for (unsigned mask : {0x01u, 0x80u, 0xffu}) {
        auto bytes = original;
        bytes[at] = static_cast<char>(bytes[at] ^ mask);
        BOOST_TEST(outcome(decode_frame(bytes)) == cereal_outcome(bytes),
                   "frame " << frame_index << ", byte " << at << " ^ "
                            << mask);
      }
    }
    ++frame_index;
  }
}

BOOST_AUTO_TEST_CASE(cut_and_extended_frames_decode_as_cereal) {
  int frame_index = 0;
  for (const auto& original : small_frames()) {
    for (std::size_t size = 0; size < original.size(); ++size) {
      auto bytes = original.substr(0, size);
      BOOST_TEST(outcome(decode_frame(bytes)) == "rejected",
                 "frame " << frame_index << " cut to " << size);
      BOOST_TEST(cereal_outcome(bytes) == "rejected",
                 "frame " << frame_index << " cut to " << size);
    }
    auto longer = original + "x";
    BOOST_TEST(outcome(decode_frame(longer)) == "rejected",
               "frame " << frame_index << " with a byte more");
    ++frame_index;
  }
}

BOOST_AUTO_TEST_CASE(forged_length_is_rejected) {
  message msg;
  msg.topic = "t";
  auto bytes = encode_frame(deliver_frame{msg});
  // The from.node length sits after the flag and the 4-byte index.
  for (int i = 0; i < 8; ++i)
    bytes[5 + i] = '\xff';
  BOOST_TEST(outcome(decode_frame(bytes)) == "rejected");
  BOOST_TEST(cereal_outcome(bytes) == "rejected");
}

BOOST_AUTO_TEST_CASE(big_endian_frame_decodes_through_cereal) {
  // cereal's flag 0 means big-endian data, which only cereal reads.
  std::string bytes = "\0" + std::string("\0\0\0\x03", 4)
                      + to_binary(done_frame{}).substr(1);
  BOOST_TEST(outcome(decode_frame(bytes)) == cereal_outcome(bytes));
}

BOOST_AUTO_TEST_CASE(other_frames_use_cereal) {
  channel_frame frame = log_frame{2, "a log line"};
  BOOST_TEST(encode_frame(frame) == to_binary(frame));
}

// A hostile host's log text must not forge lines of the node's log.
BOOST_AUTO_TEST_CASE(host_log_line_escapes_newlines) {
  auto line = host_log_line("ok\n2026-12-05T00:00:00.000 info node=n1 "
                            "pid=0 agent_id=-: node stopped\r");

  BOOST_TEST(line.find('\n') == std::string::npos);
  BOOST_TEST(line.find('\r') == std::string::npos);
  BOOST_TEST(line.rfind("ok\\x0a2026", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(host_log_line_is_cut) {
  std::string text(std::size_t{1} << 20, 'a');

  auto line = host_log_line(text);

  BOOST_TEST(line.size() < max_host_log_bytes + 64);
  BOOST_TEST(line.find("[cut 1044480 more bytes]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(host_log_line_keeps_plain_text) {
  const std::string text = "guest says h\xc3\xa9llo";

  BOOST_TEST(host_log_line(text) == text);
}

BOOST_AUTO_TEST_SUITE_END()
