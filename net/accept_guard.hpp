#pragma once

// libzmq 4.3.4 aborts the process when accept() on an ipc socket fails with
// EMFILE (an errno_assert in src/ipc_listener.cpp), so a burst of clients
// at the file descriptor limit would kill a node. accept_guard.cpp defines
// accept() and accept4(), which take precedence over the C library's for
// libzmq because the executable's symbols come first in the dynamic
// linker's search order. On EMFILE or ENFILE they accept the connection
// into a spare descriptor kept for this, close it at once and report
// ECONNABORTED, which libzmq handles by ignoring the connection.

#include <cstdint>

namespace corral {

/// Opens the spare descriptor that the guard uses and links the guard into
/// the program. Call before listening; later calls do nothing.
void prepare_accept_guard();

/// Returns how many connections the guard has closed because the process
/// had no free file descriptor.
std::uint64_t connections_closed_by_accept_guard();

} // namespace corral
