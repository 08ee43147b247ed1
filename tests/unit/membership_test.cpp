// Membership as a state machine: joining, gossip, heartbeats and failure
// detection, driven with a fake clock and fake links instead of sockets.

#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/test/unit_test.hpp>

#include "net/membership.hpp"

using namespace corral;
using std::chrono::milliseconds;

namespace corral {

inline std::ostream& boost_test_print_type(std::ostream& out, member_state x) {
  return out << to_string(x);
}

inline std::ostream& boost_test_print_type(std::ostream& out,
                                           member_event_kind x) {
  return out << to_string(x);
}

} // namespace corral

namespace {

/// Records what membership asks of the links; sends succeed to open links
/// unless the peer is in `refusing`.
struct fake_links : peer_links {
  struct sent_frame {
    std::string peer;
    frame_kind kind;
    std::string body;
  };

  std::map<std::string, std::string> open;
  std::set<std::string> refusing;
  std::vector<sent_frame> sent;

  void open_link(const std::string& peer, const std::string& address) override {
    open[peer] = address;
  }

  void close_link(const std::string& peer) override {
    open.erase(peer);
  }

  bool send_control(const std::string& peer, frame_kind kind,
                    const std::string& body) override {
    if (open.count(peer) == 0 || refusing.count(peer) != 0)
      return false;
    sent.push_back({peer, kind, body});
    return true;
  }

  /// Counts the frames of `kind` sent to `peer`.
  std::size_t count(const std::string& peer, frame_kind kind) const {
    std::size_t n = 0;
    for (const auto& frame : sent)
      if (frame.peer == peer && frame.kind == kind)
        ++n;
    return n;
  }
};

constexpr const char* self_address = "tcp://127.0.0.1:7000";

/// Membership of node "self" with default timings and a clock that the
/// test moves.
struct fixture {
  fake_links links;
  membership_config config;
  membership::time_point now = membership::time_point{} + std::chrono::hours{1};
  std::uint64_t agents = 3;
  membership members{config, {"self", self_address, 100}, links,
                     [this] { return agents; }, 1};

  /// Advances the clock in 10 ms ticks, as the I/O thread does.
  void advance(milliseconds duration) {
    auto end = now + duration;
    while (now < end) {
      now += milliseconds{10};
      members.tick(now);
    }
  }

  void receive(const std::string& sender, frame_kind kind,
               const std::string& body) {
    auto error = members.on_frame(sender, kind, body, now);
    BOOST_TEST_REQUIRE(!error, error.value_or(""));
  }

  void hello_from(const std::string& id, std::uint64_t incarnation = 200,
                  const std::string& address = "tcp://127.0.0.1:7001") {
    receive(id, frame_kind::hello,
            encode_body(hello_body{id, address, incarnation,
                                   wire_protocol_version}));
  }

  void heartbeat_from(const std::string& id, std::uint64_t sequence = 1) {
    receive(id, frame_kind::heartbeat,
            encode_body(heartbeat_body{sequence, 5, 7}));
  }

  member_info member(const std::string& id) {
    for (auto& info : members.members(now))
      if (info.node_id == id)
        return info;
    BOOST_FAIL("no member " << id);
    return {};
  }

  std::vector<member_event_kind> event_kinds() {
    std::vector<member_event_kind> kinds;
    for (const auto& event : members.take_events())
      kinds.push_back(event.kind);
    return kinds;
  }
};

using kinds = std::vector<member_event_kind>;

} // namespace

BOOST_FIXTURE_TEST_SUITE(membership_states, fixture)

BOOST_AUTO_TEST_CASE(node_without_seeds_is_alive_alone) {
  members.start({}, now);
  auto list = members.members(now);
  BOOST_TEST_REQUIRE(list.size() == 1u);
  BOOST_TEST(list[0].self);
  BOOST_TEST(list[0].node_id == "self");
  BOOST_TEST(list[0].state == member_state::alive);
  BOOST_TEST(*list[0].agents == 3u);
}

BOOST_AUTO_TEST_CASE(hello_adds_member_and_is_answered) {
  members.start({}, now);
  hello_from("n1");
  BOOST_TEST(member("n1").state == member_state::alive);
  BOOST_TEST(links.open.at("n1") == "tcp://127.0.0.1:7001");
  BOOST_TEST((event_kinds() == kinds{member_event_kind::up}));

  advance(milliseconds{10});
  BOOST_TEST(links.count("n1", frame_kind::hello) == 1u);
  BOOST_TEST(links.count("n1", frame_kind::gossip) >= 1u);
  BOOST_TEST(links.count("n1", frame_kind::heartbeat) >= 1u);
}

BOOST_AUTO_TEST_CASE(heartbeat_is_acknowledged_with_echo) {
  members.start({}, now);
  hello_from("n1");
  receive("n1", frame_kind::heartbeat,
          encode_body(heartbeat_body{4, 123456, 9}));
  BOOST_TEST_REQUIRE(links.count("n1", frame_kind::heartbeat_ack) == 1u);
  auto ack = decode_body<heartbeat_ack_body>(links.sent.back().body);
  BOOST_TEST_REQUIRE(static_cast<bool>(ack));
  BOOST_TEST(ack->sequence == 4u);
  BOOST_TEST(ack->echoed_sent_ns == 123456u);
  BOOST_TEST(*member("n1").agents == 9u);
  BOOST_TEST(member("n1").heartbeat == 4u);
}

BOOST_AUTO_TEST_CASE(ack_sets_round_trip_time) {
  members.start({}, now);
  hello_from("n1");
  auto sent_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   now.time_since_epoch())
                   .count();
  now += milliseconds{3};
  receive("n1", frame_kind::heartbeat_ack,
          encode_body(heartbeat_ack_body{1, static_cast<std::uint64_t>(sent_ns)}));
  BOOST_TEST(*member("n1").rtt_us == 3000);
}

BOOST_AUTO_TEST_CASE(silent_member_is_suspect_then_down) {
  members.start({}, now);
  hello_from("n1");
  event_kinds();
  advance(milliseconds{490});
  BOOST_TEST(member("n1").state == member_state::alive);
  advance(milliseconds{20});
  BOOST_TEST(member("n1").state == member_state::suspect);
  advance(milliseconds{470});
  BOOST_TEST(member("n1").state == member_state::suspect);
  advance(milliseconds{30});
  BOOST_TEST(member("n1").state == member_state::down);
  BOOST_TEST((event_kinds() == kinds{member_event_kind::down}));
}

BOOST_AUTO_TEST_CASE(heartbeats_keep_member_alive) {
  members.start({}, now);
  hello_from("n1");
  for (int i = 0; i < 50; ++i) {
    advance(milliseconds{100});
    heartbeat_from("n1", i);
  }
  BOOST_TEST(member("n1").state == member_state::alive);
}

BOOST_AUTO_TEST_CASE(dropped_connection_is_down_after_confirm) {
  members.start({}, now);
  hello_from("n1");
  event_kinds();
  members.on_link_event("n1", link_event::disconnected, now);
  BOOST_TEST(member("n1").state == member_state::suspect);
  // Frames still in flight from the dead process do not revive it.
  heartbeat_from("n1");
  advance(milliseconds{190});
  BOOST_TEST(member("n1").state == member_state::suspect);
  advance(milliseconds{20});
  BOOST_TEST(member("n1").state == member_state::down);
  BOOST_TEST((event_kinds() == kinds{member_event_kind::down}));
}

BOOST_AUTO_TEST_CASE(reconnection_clears_suspicion) {
  members.start({}, now);
  hello_from("n1");
  members.on_link_event("n1", link_event::disconnected, now);
  advance(milliseconds{100});
  members.on_link_event("n1", link_event::connected, now);
  heartbeat_from("n1");
  advance(milliseconds{300});
  BOOST_TEST(member("n1").state == member_state::alive);
  BOOST_TEST((event_kinds() == kinds{member_event_kind::up}));
}

BOOST_AUTO_TEST_CASE(down_member_that_speaks_again_is_up) {
  members.start({}, now);
  hello_from("n1");
  advance(milliseconds{1100});
  BOOST_TEST(member("n1").state == member_state::down);
  auto hellos_before = links.count("n1", frame_kind::hello);
  advance(milliseconds{1000});
  // Down members get a hello every down_probe_interval.
  BOOST_TEST(links.count("n1", frame_kind::hello) >= hellos_before + 2);
  heartbeat_from("n1", 50);
  BOOST_TEST(member("n1").state == member_state::alive);
  BOOST_TEST((event_kinds()
              == kinds{member_event_kind::up, member_event_kind::down,
                       member_event_kind::up}));
}

BOOST_AUTO_TEST_CASE(restart_reports_down_then_up) {
  members.start({}, now);
  hello_from("n1", 200);
  hello_from("n1", 300);
  BOOST_TEST(member("n1").incarnation == 300u);
  BOOST_TEST(member("n1").state == member_state::alive);
  BOOST_TEST((event_kinds()
              == kinds{member_event_kind::up, member_event_kind::down,
                       member_event_kind::up}));
  // A late hello of the old run changes nothing.
  hello_from("n1", 200);
  BOOST_TEST(member("n1").incarnation == 300u);
}

BOOST_AUTO_TEST_CASE(leave_marks_member_left) {
  members.start({}, now);
  hello_from("n1");
  receive("n1", frame_kind::leave, encode_body(leave_body{200}));
  BOOST_TEST(member("n1").state == member_state::left);
  BOOST_TEST(links.open.count("n1") == 0u);
  BOOST_TEST((event_kinds()
              == kinds{member_event_kind::up, member_event_kind::left}));
}

BOOST_AUTO_TEST_CASE(gossip_teaches_reachable_members_only) {
  members.start({}, now);
  hello_from("n1");
  gossip_body gossip;
  gossip.members = {
    {"n1", "tcp://127.0.0.1:7001", member_state::alive, 200, 5},
    {"n2", "tcp://127.0.0.1:7002", member_state::alive, 300, 5},
    {"n3", "tcp://127.0.0.1:7003", member_state::down, 400, 5},
    {"self", self_address, member_state::alive, 100, 5},
  };
  receive("n1", frame_kind::gossip, encode_body(gossip));
  BOOST_TEST(member("n2").state == member_state::joining);
  BOOST_TEST(links.open.at("n2") == "tcp://127.0.0.1:7002");
  BOOST_TEST(links.open.count("n3") == 0u);
  BOOST_TEST(members.members(now).size() == 3u);

  advance(milliseconds{10});
  BOOST_TEST(links.count("n2", frame_kind::hello) == 1u);
}

BOOST_AUTO_TEST_CASE(unheard_joining_member_goes_down_quietly) {
  members.start({}, now);
  hello_from("n1");
  event_kinds();
  gossip_body gossip;
  gossip.members = {{"n2", "tcp://127.0.0.1:7002", member_state::alive, 300, 5}};
  receive("n1", frame_kind::gossip, encode_body(gossip));
  for (int i = 0; i < 31; ++i) {
    advance(milliseconds{100});
    heartbeat_from("n1", i);
  }
  BOOST_TEST(member("n2").state == member_state::down);
  BOOST_TEST(event_kinds().empty());
}

BOOST_AUTO_TEST_CASE(gossiped_departure_marks_left) {
  members.start({}, now);
  hello_from("n1");
  hello_from("n2", 300, "tcp://127.0.0.1:7002");
  gossip_body gossip;
  gossip.members = {{"n2", "tcp://127.0.0.1:7002", member_state::left, 300, 5}};
  receive("n1", frame_kind::gossip, encode_body(gossip));
  BOOST_TEST(member("n2").state == member_state::left);
}

BOOST_AUTO_TEST_CASE(gossiped_down_verdict_is_not_adopted) {
  members.start({}, now);
  hello_from("n1");
  hello_from("n2", 300, "tcp://127.0.0.1:7002");
  gossip_body gossip;
  gossip.members = {{"n2", "tcp://127.0.0.1:7002", member_state::down, 300, 5}};
  receive("n1", frame_kind::gossip, encode_body(gossip));
  BOOST_TEST(member("n2").state == member_state::alive);
}

BOOST_AUTO_TEST_CASE(seed_gets_hellos_with_growing_waits) {
  members.start({"tcp://127.0.0.1:7001"}, now);
  BOOST_TEST(members.members(now)[0].state == member_state::joining);
  const std::string seed = "seed tcp://127.0.0.1:7001";
  BOOST_TEST_REQUIRE(links.open.count(seed) == 1u);
  // Tries at 0, 100, 300, 700 and 1500 ms.
  advance(milliseconds{1600});
  BOOST_TEST(links.count(seed, frame_kind::hello) == 5u);

  hello_from("n1");
  BOOST_TEST(members.members(now)[0].state == member_state::alive);
  BOOST_TEST(links.open.count(seed) == 0u);
}

BOOST_AUTO_TEST_CASE(own_address_is_not_a_seed) {
  members.start({self_address}, now);
  BOOST_TEST(members.members(now)[0].state == member_state::alive);
  BOOST_TEST(links.open.empty());
}

BOOST_AUTO_TEST_CASE(join_gives_up_after_timeout) {
  config.join_timeout = milliseconds{500};
  membership alone{config, {"self", self_address, 100}, links, {}, 1};
  alone.start({"tcp://127.0.0.1:7001"}, now);
  for (int i = 0; i < 60; ++i) {
    now += milliseconds{10};
    alone.tick(now);
  }
  BOOST_TEST(alone.members(now)[0].state == member_state::alive);
  BOOST_TEST(links.open.empty());
}

BOOST_AUTO_TEST_CASE(stalled_timer_does_not_declare_members_down) {
  members.start({}, now);
  hello_from("n1");
  advance(milliseconds{10});
  // The process was stopped for 5 s: no tick ran in between.
  now += std::chrono::seconds{5};
  members.tick(now);
  BOOST_TEST(member("n1").state == member_state::alive);
}

BOOST_AUTO_TEST_CASE(down_member_is_forgotten_later) {
  members.start({}, now);
  hello_from("n1");
  advance(milliseconds{1100});
  BOOST_TEST(member("n1").state == member_state::down);
  advance(config.removal_after);
  BOOST_TEST(members.members(now).size() == 1u);
  BOOST_TEST(links.open.count("n1") == 0u);
}

BOOST_AUTO_TEST_CASE(leave_tells_members_and_stops) {
  members.start({}, now);
  hello_from("n1");
  members.leave();
  BOOST_TEST(links.count("n1", frame_kind::leave) == 1u);
  auto sent = links.sent.size();
  advance(milliseconds{500});
  BOOST_TEST(links.sent.size() == sent);
  BOOST_TEST(members.members(now)[0].state == member_state::left);
}

BOOST_AUTO_TEST_CASE(invalid_bodies_are_reported) {
  members.start({}, now);
  auto error = members.on_frame("n1", frame_kind::heartbeat, "xx", now);
  BOOST_TEST(static_cast<bool>(error));
  auto mismatch = members.on_frame(
    "n1", frame_kind::hello,
    encode_body(hello_body{"n2", "tcp://127.0.0.1:7001", 1,
                           wire_protocol_version}),
    now);
  BOOST_TEST_REQUIRE(static_cast<bool>(mismatch));
  BOOST_TEST(mismatch->find("n2") != std::string::npos, *mismatch);
  BOOST_TEST(members.members(now).size() == 1u);
}

BOOST_AUTO_TEST_CASE(own_id_from_elsewhere_is_ignored) {
  members.start({}, now);
  hello_from("self", 999, "tcp://127.0.0.1:7009");
  BOOST_TEST(members.members(now).size() == 1u);
}

BOOST_AUTO_TEST_CASE(heartbeat_from_stranger_is_counted) {
  members.start({}, now);
  heartbeat_from("n9");
  BOOST_TEST(members.counters().frames_from_unknown_nodes == 1u);
  BOOST_TEST(links.sent.empty());
}

BOOST_AUTO_TEST_SUITE_END()
