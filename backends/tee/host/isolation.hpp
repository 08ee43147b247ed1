#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace corral::tee {

/// Address space the host may use beyond the enclave's memory size: its
/// code, the shared libraries, the interpreter's stacks and buffers.
inline constexpr std::uint64_t host_address_space_allowance = 512ull << 20;

/// Asks the kernel to send SIGKILL to the host when the node dies, so that
/// a node killed with SIGKILL leaves no host running a handler. The signal
/// follows the node's thread that started the host, a thread of the
/// node's scheduler, which lives as long as the node. Returns the error,
/// or nothing.
std::optional<std::string> end_with_node();

/// Moves the host into its own, empty network namespace (no interfaces but
/// a down loopback). Returns the error, or nothing.
std::optional<std::string> enter_network_namespace();

/// Sets the resource limits: address space to `memory_bytes` plus the
/// allowance, no new files beyond the open ones, no file writes, no core
/// dumps. Returns the error, or nothing.
std::optional<std::string> apply_resource_limits(std::uint64_t memory_bytes);

/// Installs the seccomp filter, which allows only the system calls the
/// running host needs: its channel, memory, time, randomness and exiting.
/// Any other call kills the process with SIGSYS. Returns the error, or
/// nothing. Call it last, because nothing can open files afterwards.
std::optional<std::string> install_seccomp_filter();

} // namespace corral::tee
