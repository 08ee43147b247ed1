// The proxy's end of the sealed channel without a node: the inline wait
// and the reader thread sharing one socket, with a test acting as the
// enclave host on the other end.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <boost/test/unit_test.hpp>
#include <sodium.h>
#include <sys/socket.h>
#include <unistd.h>

#include "backends/tee/channel_reader.hpp"
#include "backends/tee/frame_io.hpp"

using namespace corral::tee;
using namespace std::chrono_literals;

namespace {

struct sodium_setup {
  sodium_setup() {
    BOOST_TEST_REQUIRE(sodium_init() >= 0);
  }
};

/// What the reader thread reported, in order.
class event_log {
public:
  void add(channel_event event, std::string text) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      events_.emplace_back(event, std::move(text));
    }
    changed_.notify_all();
  }

  /// Waits up to 5 s for the next event.
  std::optional<std::pair<channel_event, std::string>> next() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!changed_.wait_for(lock, 5s, [this] { return !events_.empty(); }))
      return std::nullopt;
    auto event = std::move(events_.front());
    events_.pop_front();
    return event;
  }

  /// Returns true when no event is waiting.
  bool empty() {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_.empty();
  }

private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<channel_event, std::string>> events_;
};

/// A socket pair with a sealing host end and a started reader on the
/// proxy end.
struct channel_fixture {
  int proxy_end = -1;
  int host_end = -1;
  std::unique_ptr<channel_sealer> sealer;
  std::unique_ptr<channel_reader> reader;
  event_log log;

  channel_fixture() {
    int ends[2];
    BOOST_TEST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0);
    proxy_end = ends[0];
    host_end = ends[1];
    unsigned char key[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    crypto_secretstream_xchacha20poly1305_keygen(key);
    std::string header;
    sealer = std::make_unique<channel_sealer>(key, header);
    bool valid = false;
    auto opener = std::make_unique<channel_opener>(key, header, valid);
    BOOST_TEST_REQUIRE(valid);
    reader = std::make_unique<channel_reader>(proxy_end, std::move(opener));
    reader->start([this](channel_event event, std::string text) {
      log.add(event, std::move(text));
    });
  }

  ~channel_fixture() {
    ::shutdown(proxy_end, SHUT_RDWR);
    reader.reset();
    ::close(proxy_end);
    if (host_end >= 0)
      ::close(host_end);
  }

  /// Seals `plain` and returns the bytes the host writes: the length
  /// prefix and the sealed frame.
  std::string framed(const std::string& plain) {
    auto sealed = sealer->seal(plain);
    std::string bytes(4, '\0');
    for (int i = 0; i < 4; ++i)
      bytes[i] = static_cast<char>(sealed.size() >> (8 * i));
    return bytes + sealed;
  }

  void host_writes(const std::string& bytes) {
    BOOST_TEST_REQUIRE(::send(host_end, bytes.data(), bytes.size(),
                              MSG_NOSIGNAL)
                       == static_cast<ssize_t>(bytes.size()));
  }

  void host_sends(const std::string& plain) {
    host_writes(framed(plain));
  }

  void host_exits() {
    ::close(host_end);
    host_end = -1;
  }
};

bool is_frame(const std::optional<std::pair<channel_event, std::string>>& x,
              const std::string& plain) {
  return x && x->first == channel_event::frame && x->second == plain;
}

using kind = channel_reader::inline_result::kind;

} // namespace

BOOST_TEST_GLOBAL_FIXTURE(sodium_setup);

BOOST_AUTO_TEST_SUITE(channel_reader_suite)

BOOST_AUTO_TEST_CASE(waiting_frame_is_read_inline) {
  channel_fixture c;
  c.host_sends("reply");
  auto got = c.reader->await_frame(1s);
  BOOST_TEST((got.outcome == kind::frame));
  BOOST_TEST(got.plain == "reply");
  BOOST_TEST(c.reader->inline_frames() == 1u);
  std::this_thread::sleep_for(20ms);
  BOOST_TEST(c.log.empty());
}

BOOST_AUTO_TEST_CASE(frame_during_wait_is_read_inline) {
  channel_fixture c;
  std::thread host([&] {
    std::this_thread::sleep_for(2ms);
    c.host_sends("late but in time");
  });
  auto got = c.reader->await_frame(2s);
  host.join();
  BOOST_TEST((got.outcome == kind::frame));
  BOOST_TEST(got.plain == "late but in time");
  BOOST_TEST(c.log.empty());
}

BOOST_AUTO_TEST_CASE(frame_after_wait_goes_to_thread) {
  channel_fixture c;
  auto got = c.reader->await_frame(1ms);
  BOOST_TEST((got.outcome == kind::none));
  c.host_sends("after the wait");
  BOOST_TEST(is_frame(c.log.next(), "after the wait"));
  BOOST_TEST(c.reader->inline_frames() == 0u);
}

BOOST_AUTO_TEST_CASE(reported_frames_come_first) {
  channel_fixture c;
  c.reader->hand_off();
  c.host_sends("first");
  BOOST_TEST_REQUIRE(is_frame(c.log.next(), "first"));
  c.host_sends("second");
  // "first" is not handled yet, so "second" must not overtake it.
  auto got = c.reader->await_frame(1s);
  BOOST_TEST((got.outcome == kind::none));
  BOOST_TEST(is_frame(c.log.next(), "second"));
  c.reader->frame_handled();
  c.reader->frame_handled();
  // The thread reports "second" while it holds the lock, and releases it
  // right after.
  std::this_thread::sleep_for(20ms);
  // Sent during the wait: the thread, still asked for frames, would read
  // one that is already there.
  std::thread host([&] {
    std::this_thread::sleep_for(2ms);
    c.host_sends("third");
  });
  got = c.reader->await_frame(2s);
  host.join();
  BOOST_TEST((got.outcome == kind::frame));
  BOOST_TEST(got.plain == "third");
}

BOOST_AUTO_TEST_CASE(handled_frame_does_not_wait) {
  channel_fixture c;
  c.reader->hand_off();
  c.host_sends("first");
  BOOST_TEST_REQUIRE(is_frame(c.log.next(), "first"));
  auto bytes = c.framed("slow to arrive");
  c.host_writes(bytes.substr(0, 10));
  // The thread is now blocked inside the cut frame.
  std::this_thread::sleep_for(20ms);
  auto marked = std::async(std::launch::async,
                           [&] { c.reader->frame_handled(); });
  bool returned = marked.wait_for(1s) == std::future_status::ready;
  c.host_writes(bytes.substr(10));
  BOOST_TEST(returned);
  BOOST_TEST(is_frame(c.log.next(), "slow to arrive"));
}

BOOST_AUTO_TEST_CASE(partial_frame_goes_to_thread) {
  channel_fixture c;
  auto bytes = c.framed("cut in two");
  c.host_writes(bytes.substr(0, 10));
  auto got = c.reader->await_frame(2ms);
  BOOST_TEST((got.outcome == kind::none));
  c.host_writes(bytes.substr(10));
  BOOST_TEST(is_frame(c.log.next(), "cut in two"));
}

BOOST_AUTO_TEST_CASE(tampered_frame_fails_inline) {
  channel_fixture c;
  auto bytes = c.framed("payload");
  bytes[bytes.size() / 2] ^= 0x01;
  c.host_writes(bytes);
  auto got = c.reader->await_frame(1s);
  BOOST_TEST((got.outcome == kind::authentication));
  BOOST_TEST(got.plain.find("failed authentication") != std::string::npos,
             got.plain);
}

BOOST_AUTO_TEST_CASE(replayed_frame_fails_in_thread) {
  channel_fixture c;
  c.reader->hand_off();
  auto bytes = c.framed("once");
  c.host_writes(bytes + bytes);
  BOOST_TEST(is_frame(c.log.next(), "once"));
  auto failure = c.log.next();
  BOOST_TEST_REQUIRE(failure.has_value());
  BOOST_TEST((failure->first == channel_event::authentication));
}

BOOST_AUTO_TEST_CASE(host_exit_during_wait_ends_it) {
  channel_fixture c;
  std::thread host([&] {
    std::this_thread::sleep_for(2ms);
    c.host_exits();
  });
  auto started = std::chrono::steady_clock::now();
  auto got = c.reader->await_frame(5s);
  auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
    std::chrono::steady_clock::now() - started);
  host.join();
  BOOST_TEST((got.outcome == kind::none));
  BOOST_TEST(waited.count() < 1000);
  auto end = c.log.next();
  BOOST_TEST_REQUIRE(end.has_value());
  BOOST_TEST((end->first == channel_event::closed));
}

BOOST_AUTO_TEST_CASE(frames_before_exit_are_reported) {
  channel_fixture c;
  // The reader thread is not asked for frames, but after the hang-up it
  // reads what is left before it reports the end.
  c.host_sends("last words");
  c.host_exits();
  BOOST_TEST(is_frame(c.log.next(), "last words"));
  auto end = c.log.next();
  BOOST_TEST_REQUIRE(end.has_value());
  BOOST_TEST((end->first == channel_event::closed));
}

BOOST_AUTO_TEST_SUITE_END()
