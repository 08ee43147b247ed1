#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace corral::remote {

/// Entries by id, each with a deadline, and the state of the one timer
/// that ends them: the tables of requests to and from other nodes. One
/// timer is armed at a time, for the earliest deadline, because a CAF
/// timer per request costs the clock thread's mutex and condition variable
/// on every request. `Entry` has a `deadline` member. Thread-safe; the
/// lock is held only for map operations.
template <class Entry>
class deadline_table {
public:
  using clock = std::chrono::steady_clock;

  /// The result of `add`: the entry's id (0 when the table is closed), and
  /// whether the owner's timer must be armed for `delay` because no timer
  /// is due by this entry's deadline.
  struct added {
    std::uint64_t id = 0;
    bool arm = false;
    std::chrono::microseconds delay{0};
  };

  /// Adds `entry` under a new id, unless `close` closed the table.
  added add(Entry entry) {
    auto now = clock::now();
    std::lock_guard<std::mutex> guard{mutex_};
    added result;
    if (closed_)
      return result;
    result.id = next_id_++;
    auto deadline = entry.deadline;
    deadlines_.emplace(deadline, result.id);
    entries_.emplace(result.id, std::move(entry));
    if (!armed_ || deadline < armed_for_) {
      armed_ = true;
      armed_for_ = deadline;
      result.arm = true;
      // Rounded up, so that the timer never fires before the deadline:
      // `take_expired` would then find nothing to take and keep the timer
      // as still due.
      if (deadline > now)
        result.delay = std::chrono::ceil<std::chrono::microseconds>(deadline
                                                                    - now);
    }
    return result;
  }

  /// Takes the entry `id` out of the table if `accept` returns true for
  /// it, or returns nothing.
  template <class Predicate>
  std::optional<Entry> take_if(std::uint64_t id, Predicate accept) {
    std::lock_guard<std::mutex> guard{mutex_};
    auto i = entries_.find(id);
    if (i == entries_.end() || !accept(i->second))
      return std::nullopt;
    erase_deadline(i->second.deadline, id);
    auto result = std::move(i->second);
    entries_.erase(i);
    return result;
  }

  /// Takes the entry `id` out of the table, or returns nothing when no
  /// such entry is there.
  std::optional<Entry> take(std::uint64_t id) {
    return take_if(id, [](const Entry&) { return true; });
  }

  /// Takes every entry for which `match` returns true out of the table.
  template <class Predicate>
  std::vector<Entry> take_all_if(Predicate match) {
    std::vector<Entry> result;
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto i = entries_.begin(); i != entries_.end();) {
      if (!match(i->second)) {
        ++i;
        continue;
      }
      erase_deadline(i->second.deadline, i->first);
      result.push_back(std::move(i->second));
      i = entries_.erase(i);
    }
    return result;
  }

  /// Takes every entry out of the table.
  std::vector<Entry> take_all() {
    std::vector<Entry> result;
    std::lock_guard<std::mutex> guard{mutex_};
    for (auto& [id, entry] : entries_)
      result.push_back(std::move(entry));
    entries_.clear();
    deadlines_.clear();
    return result;
  }

  /// Takes every entry whose deadline passed at `now` out of the table.
  /// Sets `next` to the time for which the owner's timer must be armed,
  /// or to nothing when no entry is left or a timer is already due by the
  /// earliest deadline left.
  // Timers fire at or after the time they were armed for, so a timer
  // armed for a time after `now` has not fired yet and still ends the
  // entries due by then. Any other timer that fires (one armed before an
  // earlier deadline came) re-arms at most once, so no more timers are in
  // flight than were armed.
  std::vector<Entry> take_expired(clock::time_point now,
                                  std::optional<clock::time_point>& next) {
    std::vector<Entry> result;
    std::lock_guard<std::mutex> guard{mutex_};
    while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
      auto i = entries_.find(deadlines_.begin()->second);
      deadlines_.erase(deadlines_.begin());
      result.push_back(std::move(i->second));
      entries_.erase(i);
    }
    next.reset();
    if (armed_ && armed_for_ > now)
      return result;
    armed_ = false;
    if (!deadlines_.empty()) {
      next = deadlines_.begin()->first;
      armed_ = true;
      armed_for_ = *next;
    }
    return result;
  }

  /// Forgets the armed timer, for a new owner, which has none.
  void disarm() {
    std::lock_guard<std::mutex> guard{mutex_};
    armed_ = false;
  }

  /// Drops every entry and makes `add` reject new ones until `open`.
  void close() {
    std::lock_guard<std::mutex> guard{mutex_};
    entries_.clear();
    deadlines_.clear();
    armed_ = false;
    closed_ = true;
  }

  /// Accepts new entries again after `close`.
  void open() {
    std::lock_guard<std::mutex> guard{mutex_};
    closed_ = false;
  }

  /// Returns the number of entries.
  std::size_t size() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return entries_.size();
  }

private:
  void erase_deadline(clock::time_point deadline, std::uint64_t id) {
    auto [first, last] = deadlines_.equal_range(deadline);
    for (auto i = first; i != last; ++i) {
      if (i->second == id) {
        deadlines_.erase(i);
        return;
      }
    }
  }

  mutable std::mutex mutex_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Entry> entries_;
  /// The deadlines in order, for `take_expired`.
  std::multimap<clock::time_point, std::uint64_t> deadlines_;
  /// Whether a timer is armed and has not fired yet, and for when.
  bool armed_ = false;
  clock::time_point armed_for_;
  bool closed_ = false;
};

} // namespace corral::remote
