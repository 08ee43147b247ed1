#pragma once

#include <vector>

#include <wabt/interp/interp.h>

namespace corral::wasm {

// wabt 1.0.32 runs a function call to completion: `Func::Call` pushes the
// frame and then loops `Thread::Run` until it returns. Running a guest in
// slices needs the two halves apart (push the call, then `Run(n)` as often
// as the actor wants), and the call-stack limit needs the frame vector's
// capacity. Those members are private, so they are reached here through
// explicit template instantiation, which the standard exempts from access
// checks.
// NOTE: this depends on the member names and types of Debian's wabt 1.0.32
// (CMake requires that version); a newer wabt may change them.
namespace detail {

template <class Tag, typename Tag::type Member>
struct expose {
  friend typename Tag::type access(Tag) {
    return Member;
  }
};

struct push_values {
  using type = void (wabt::interp::Thread::*)(const wabt::interp::ValueTypes&,
                                              const wabt::interp::Values&);
  friend type access(push_values);
};

struct pop_values {
  using type = void (wabt::interp::Thread::*)(const wabt::interp::ValueTypes&,
                                              wabt::interp::Values*);
  friend type access(pop_values);
};

struct push_call {
  using type = wabt::interp::RunResult (wabt::interp::Thread::*)(
    const wabt::interp::DefinedFunc&, wabt::interp::Trap::Ptr*);
  friend type access(push_call);
};

struct frames {
  using type = std::vector<wabt::interp::Frame> wabt::interp::Thread::*;
  friend type access(frames);
};

struct values {
  using type = std::vector<wabt::interp::Value> wabt::interp::Thread::*;
  friend type access(values);
};

template struct expose<push_values, &wabt::interp::Thread::PushValues>;
template struct expose<pop_values, &wabt::interp::Thread::PopValues>;
template struct expose<push_call, &wabt::interp::Thread::PushCall>;
template struct expose<frames, &wabt::interp::Thread::frames_>;
template struct expose<values, &wabt::interp::Thread::values_>;

} // namespace detail

/// Pushes the arguments and the first frame of a call to `func` without
/// running it; returns false (with `trap` set) when the call stack is full.
inline bool begin_call(wabt::interp::Thread& thread,
                       const wabt::interp::DefinedFunc& func,
                       const wabt::interp::Values& args,
                       wabt::interp::Trap::Ptr* trap) {
  (thread.*access(detail::push_values{}))(func.type().params, args);
  return (thread.*access(detail::push_call{}))(func, trap)
         != wabt::interp::RunResult::Trap;
}

/// Takes the results of a call that `Thread::Run` reported as returned.
inline wabt::interp::Values end_call(wabt::interp::Thread& thread,
                                     const wabt::interp::DefinedFunc& func) {
  wabt::interp::Values results;
  (thread.*access(detail::pop_values{}))(func.type().results, &results);
  return results;
}

/// Number of values (locals and operands) on the thread's stack.
inline std::size_t value_stack_size(wabt::interp::Thread& thread) {
  return (thread.*access(detail::values{})).size();
}

/// Number of call frames on the thread's stack; 0 when no call is running.
inline std::size_t call_depth(wabt::interp::Thread& thread) {
  return (thread.*access(detail::frames{})).size();
}

/// Sets the call-stack limit: wabt traps with "call stack exhausted" when
/// the frame vector is full, so its capacity is the limit. Only valid while
/// no call is running.
inline void set_call_depth_limit(wabt::interp::Thread& thread,
                                 std::size_t depth) {
  std::vector<wabt::interp::Frame> fresh;
  fresh.reserve(depth);
  (thread.*access(detail::frames{})).swap(fresh);
}

} // namespace corral::wasm
