// The proxy's end of the sealed channel without a node: the inline wait
// and the reader thread sharing one ring and its doorbell socket, with a
// test acting as the enclave host on the other end, including a host that
// writes invalid indexes and lengths into the ring.

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

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/channel_reader.hpp"
#include "backends/tee/frame_io.hpp"
#include "backends/tee/sealed_send.hpp"
#include "backends/tee/shared_ring.hpp"

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

/// A ring and its doorbell socket pair with a sealing host end and a
/// started reader on the proxy end.
struct channel_fixture {
  int proxy_end = -1;
  int host_end = -1;
  std::unique_ptr<shared_ring_memory> memory;
  std::unique_ptr<ring_producer> host_ring;
  std::unique_ptr<channel_sealer> sealer;
  std::unique_ptr<channel_reader> reader;
  event_log log;

  channel_fixture() {
    int ends[2];
    BOOST_TEST_REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends) == 0);
    proxy_end = ends[0];
    host_end = ends[1];
    std::string error;
    memory = shared_ring_memory::create(error);
    BOOST_TEST_REQUIRE(static_cast<bool>(memory), error);
    host_ring = std::make_unique<ring_producer>(memory->to_proxy(), host_end,
                                                "the node");
    unsigned char key[crypto_kdf_KEYBYTES];
    crypto_kdf_keygen(key);
    sealer = std::make_unique<channel_sealer>(preferred_cipher(), key);
    auto opener = std::make_unique<channel_opener>(preferred_cipher(), key);
    reader = std::make_unique<channel_reader>(
      proxy_end,
      std::make_unique<ring_consumer>(memory->to_proxy(), proxy_end,
                                      "the enclave host"),
      std::move(opener));
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
    return corral::tee::framed(sealer->seal(plain).value());
  }

  /// Publishes `bytes`, which must fit in the ring's free room.
  void host_writes(const std::string& bytes) {
    auto room = host_ring->room();
    BOOST_TEST_REQUIRE(room.has_value());
    BOOST_TEST_REQUIRE(*room >= bytes.size());
    host_ring->write(bytes.data(), bytes.size());
  }

  /// Publishes `bytes` of any size, waiting for room as the host does.
  ring_status host_streams(const std::string& bytes) {
    return write_ring_bytes(*host_ring, bytes, [this](const ring_ready& ready) {
      return wait_for_doorbell(host_end, host_ring->waiting_flag(), ready,
                               std::chrono::microseconds{50},
                               std::chrono::steady_clock::now() + 5s);
    });
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

BOOST_AUTO_TEST_CASE(frame_beyond_ring_streams_to_thread) {
  channel_fixture c;
  std::string plain(4 * ring_capacity + 123, 'r');
  std::thread host([&] {
    BOOST_TEST((c.host_streams(c.framed(plain)) == ring_status::ok));
  });
  // Too large to arrive whole, so the inline wait leaves it at once.
  std::this_thread::sleep_for(2ms);
  auto got = c.reader->await_frame(1s);
  BOOST_TEST((got.outcome == kind::none));
  auto event = c.log.next();
  host.join();
  BOOST_TEST_REQUIRE(event.has_value());
  BOOST_TEST((event->first == channel_event::frame));
  BOOST_TEST(event->second.size() == plain.size());
  BOOST_TEST((event->second == plain));
  // The ring goes on with a small frame after the large one, read inline
  // once the thread has released the lock it reported under.
  c.reader->frame_handled();
  std::this_thread::sleep_for(20ms);
  std::thread late_host([&] {
    std::this_thread::sleep_for(2ms);
    c.host_sends("after");
  });
  got = c.reader->await_frame(2s);
  late_host.join();
  BOOST_TEST((got.outcome == kind::frame));
  BOOST_TEST(got.plain == "after");
}

BOOST_AUTO_TEST_CASE(invalid_write_index_fails_inline) {
  channel_fixture c;
  c.host_ring->control().head.store(3 * ring_capacity);
  auto got = c.reader->await_frame(1s);
  BOOST_TEST((got.outcome == kind::corrupt));
  BOOST_TEST(got.plain.find("invalid write index") != std::string::npos,
             got.plain);
}

BOOST_AUTO_TEST_CASE(write_index_behind_fails_in_thread) {
  channel_fixture c;
  c.reader->hand_off();
  c.host_sends("genuine");
  BOOST_TEST_REQUIRE(is_frame(c.log.next(), "genuine"));
  // Behind what the proxy has read: wraps to a huge count of bytes.
  c.host_ring->control().head.store(1);
  ring_doorbell(c.host_end);
  auto failure = c.log.next();
  BOOST_TEST_REQUIRE(failure.has_value());
  BOOST_TEST((failure->first == channel_event::corrupt));
  BOOST_TEST(failure->second.find("invalid write index")
               != std::string::npos,
             failure->second);
}

BOOST_AUTO_TEST_CASE(oversized_length_fails_in_thread) {
  channel_fixture c;
  c.reader->hand_off();
  c.host_writes(std::string("\xff\xff\xff\x7f", 4));
  auto failure = c.log.next();
  BOOST_TEST_REQUIRE(failure.has_value());
  BOOST_TEST((failure->first == channel_event::corrupt));
  BOOST_TEST(failure->second.find("frame length of 2147483647")
               != std::string::npos,
             failure->second);
}

BOOST_AUTO_TEST_CASE(oversized_length_fails_inline) {
  channel_fixture c;
  c.host_writes(std::string("\xff\xff\xff\xff", 4));
  auto got = c.reader->await_frame(1s);
  BOOST_TEST((got.outcome == kind::corrupt));
  BOOST_TEST(got.plain.find("frame length of 4294967295")
               != std::string::npos,
             got.plain);
}

BOOST_AUTO_TEST_CASE(changed_bytes_after_publish_fail) {
  channel_fixture c;
  auto bytes = c.framed("changed later");
  c.host_writes(bytes);
  // The host changes a published byte: the opener rejects the frame.
  c.memory->to_proxy().data[bytes.size() - 1] ^= 0x01;
  auto got = c.reader->await_frame(1s);
  BOOST_TEST((got.outcome == kind::authentication));
}

BOOST_AUTO_TEST_CASE(reader_rings_waiting_host) {
  channel_fixture c;
  // The host fills the ring and waits for room; each frame the proxy takes
  // rings its doorbell, so the host finishes without a deadline passing.
  std::string plain(ring_capacity / 4, 'w');
  std::thread host([&] {
    for (int i = 0; i < 8; ++i)
      BOOST_TEST((c.host_streams(c.framed(plain)) == ring_status::ok));
  });
  int frames = 0;
  for (int i = 0; i < 8; ++i) {
    auto got = c.reader->await_frame(2s);
    if (got.outcome == kind::frame && got.plain == plain)
      ++frames;
  }
  host.join();
  BOOST_TEST(frames == 8);
}

BOOST_AUTO_TEST_CASE(sent_frame_reaches_reader) {
  channel_fixture c;
  log_frame line{3, "sent with send_sealed"};
  auto waiter = [](const ring_ready&) { return ring_status::timed_out; };
  auto status = send_sealed(*c.host_ring, *c.sealer, line, waiter);
  BOOST_TEST((status == send_status::sent));
  auto got = c.reader->await_frame(1s);
  BOOST_TEST_REQUIRE((got.outcome == kind::frame));
  BOOST_TEST(got.plain == encode_frame(line));
}

BOOST_AUTO_TEST_CASE(used_up_frame_numbers_end_sending) {
  channel_fixture c;
  unsigned char key[crypto_kdf_KEYBYTES];
  crypto_kdf_keygen(key);
  channel_sealer last(preferred_cipher(), key, frame_number_limit - 1);
  auto waiter = [](const ring_ready&) { return ring_status::timed_out; };
  BOOST_TEST((send_sealed(*c.host_ring, last, log_frame{}, waiter)
              == send_status::sent));
  auto head = c.host_ring->head();
  BOOST_TEST((send_sealed(*c.host_ring, last, log_frame{}, waiter)
              == send_status::exhausted));
  BOOST_TEST(c.host_ring->head() == head);
  BOOST_TEST(last.error().find("every frame number") != std::string::npos,
             last.error());
}

BOOST_AUTO_TEST_SUITE_END()
