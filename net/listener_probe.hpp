#pragma once

#include "net/control_address.hpp"
#include "serialization/result.hpp"

namespace corral {

/// Tries a plain socket connection to `address` and closes it at once.
/// Returns true when a process accepts connections there, false when the
/// connection is refused or the ipc socket file does not exist, and a
/// failure for any other error. ZeroMQ connects in the background and
/// retries forever, so a client uses this probe to detect at once that no
/// node runs, and a node uses it to detect a stale socket file.
result<bool> probe_listener(const control_address& address);

} // namespace corral
