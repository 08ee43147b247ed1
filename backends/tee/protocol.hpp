#pragma once

// The messages between the enclave proxy (in the node) and the enclave host
// process, in the order they flow (docs/tee.md has the whole exchange).
// Every frame is the cereal form of one of these structs; after the
// attestation, frames are sealed with the AEAD cipher that the evidence
// names, under keys derived from the session's key exchange.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>

#include "serialization/binary_forms.hpp"
#include "serialization/message.hpp"

namespace corral::tee {

/// Version of the exchange; both sides must use the same. Version 2 chose
/// the channel's cipher in the hello and the evidence.
inline constexpr std::uint32_t protocol_version = 2;

/// Plain, first frame to the host: what to load and measure. It carries no
/// agent data, because nothing has been attested yet.
struct launch_frame {
  std::uint32_t version = protocol_version;
  /// An `enclave_type` name.
  std::string enclave_type;
  std::string workload;
  std::uint64_t memory_bytes = 0;
  bool debug = false;
  /// Simulation only: the simulated platform's Ed25519 secret key, which a
  /// real TEE keeps in hardware. Empty for hardware types.
  std::string simulated_platform_key;
};

/// Plain, proxy to host: the challenge.
struct hello_frame {
  /// 32 fresh random bytes.
  std::string nonce;
  /// The proxy's ephemeral X25519 public key.
  std::string proxy_public_key;
  /// The `channel_cipher` code the node chose for the sealed channel. The
  /// host must state the same in its evidence.
  std::uint8_t channel_cipher = 0;
};

/// Attestation evidence: binds platform, measurement, the proxy's nonce
/// and the host's ephemeral key, under the platform's signature.
struct evidence {
  std::uint32_t version = protocol_version;
  /// An `enclave_type` name.
  std::string platform;
  /// True when no hardware produced this evidence.
  bool simulated = false;
  bool debug = false;
  std::uint64_t memory_bytes = 0;
  /// Hex SHA-256 of the host executable's file.
  std::string host_digest;
  /// Hex SHA-256 of the workload file's bytes.
  std::string workload_digest;
  /// Hex SHA-256 over both digests (see `combine_measurement`).
  std::string measurement;
  std::string nonce;
  /// The host's ephemeral X25519 public key.
  std::string host_public_key;
  /// The `channel_cipher` code the host seals with. Signed, so that no
  /// one between the two can change the node's choice unnoticed.
  std::uint8_t channel_cipher = 0;
  /// SHA-512 of nonce and host_public_key: the 64 bytes a hardware report
  /// carries as user data (SEV-SNP REPORT_DATA, TDX REPORTDATA).
  std::string report_data;
  /// The hardware report over `report_data`; empty in simulation.
  std::string platform_report;
  /// Ed25519 key that signed; in simulation the simulated platform key.
  std::string signer_public_key;
  /// Ed25519 signature over every field above (`signed_bytes`).
  std::string signature;
};

/// Plain, host to proxy: the evidence, or why the host cannot give any.
struct evidence_frame {
  std::optional<evidence> value;
  std::string error;
};

/// Sealed, proxy to host: the agent's identity and environment, sent only
/// after the evidence was accepted.
struct start_frame {
  std::string node_id;
  std::uint64_t pid = 0;
  std::string agent_id;
  std::map<std::string, std::string> env;
  std::uint64_t memory_pages = 0;
  std::uint64_t call_depth = 0;
  std::uint64_t value_stack = 0;
  std::uint64_t startup_budget = 0;
  std::uint64_t fuel_per_message = 0;
  std::uint64_t message_timeout_ms = 0;
};

/// Sealed, host to proxy: the instance ran its start-up code.
struct ready_frame {
  bool ok = false;
  std::string detail;
  std::uint64_t memory_bytes = 0;
  /// When not ok: the `errc` of the failure, e.g. resource_limit_exceeded
  /// for a module that needs more memory than the agent may use.
  std::uint8_t error_code = 0;
};

/// Sealed, proxy to host: run the handler for this message.
struct deliver_frame {
  message msg;
};

/// The outcome of one handler call in the host.
enum class done_status : std::uint8_t {
  returned,
  trapped,
  exited,
  memory_exceeded,
  fuel_exceeded,
  time_exceeded,
};

/// Sealed, host to proxy: the handler call ended.
struct done_frame {
  std::uint8_t status = 0;
  std::int32_t value = 0;
  std::optional<std::string> reply;
  std::uint64_t instructions = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t cpu_ns = 0;
  std::string detail;
};

/// The operation a host call requests of the proxy.
enum class op_kind : std::uint8_t {
  send,
  request,
  publish,
  broadcast,
  subscribe,
  unsubscribe,
};

/// Sealed, host to proxy: a guest's host call that needs the node. The
/// host waits for the matching `op_result_frame`.
struct op_frame {
  std::uint8_t kind = 0;
  std::string target;
  std::string topic;
  std::string payload;
  std::uint32_t timeout_ms = 0;
};

/// Sealed, proxy to host: the ABI return code (for a request: the
/// correlation id, or a negative code).
struct op_result_frame {
  std::int64_t code = 0;
};

/// Sealed, host to proxy: a log line of the guest or the host.
struct log_frame {
  std::uint8_t level = 0;
  std::string text;
};

/// Every sealed frame.
using channel_frame
  = std::variant<start_frame, ready_frame, deliver_frame, done_frame,
                 op_frame, op_result_frame, log_frame>;

/// The bytes the signature covers: the cereal form of `x` with an empty
/// signature.
std::string signed_bytes(const evidence& x);

template <class Archive>
void serialize(Archive& archive, launch_frame& x) {
  binary::serialize_fields(archive, x.version, x.enclave_type, x.workload,
                           x.memory_bytes, x.debug, x.simulated_platform_key);
}

template <class Archive>
void serialize(Archive& archive, hello_frame& x) {
  binary::serialize_fields(archive, x.nonce, x.proxy_public_key,
                           x.channel_cipher);
}

template <class Archive>
void serialize(Archive& archive, evidence& x) {
  binary::serialize_fields(archive, x.version, x.platform, x.simulated,
                           x.debug, x.memory_bytes, x.host_digest,
                           x.workload_digest, x.measurement, x.nonce,
                           x.host_public_key, x.channel_cipher, x.report_data,
                           x.platform_report, x.signer_public_key,
                           x.signature);
}

template <class Archive>
void serialize(Archive& archive, evidence_frame& x) {
  binary::serialize_fields(archive, x.value, x.error);
}

template <class Archive>
void serialize(Archive& archive, start_frame& x) {
  binary::serialize_fields(archive, x.node_id, x.pid, x.agent_id, x.env,
                           x.memory_pages, x.call_depth, x.value_stack,
                           x.startup_budget, x.fuel_per_message,
                           x.message_timeout_ms);
}

template <class Archive>
void serialize(Archive& archive, ready_frame& x) {
  binary::serialize_fields(archive, x.ok, x.detail, x.memory_bytes,
                           x.error_code);
}

template <class Archive>
void serialize(Archive& archive, deliver_frame& x) {
  binary::serialize_fields(archive, x.msg);
}

template <class Archive>
void serialize(Archive& archive, done_frame& x) {
  binary::serialize_fields(archive, x.status, x.value, x.reply,
                           x.instructions, x.memory_bytes, x.cpu_ns,
                           x.detail);
}

template <class Archive>
void serialize(Archive& archive, op_frame& x) {
  binary::serialize_fields(archive, x.kind, x.target, x.topic, x.payload,
                           x.timeout_ms);
}

template <class Archive>
void serialize(Archive& archive, op_result_frame& x) {
  binary::serialize_fields(archive, x.code);
}

template <class Archive>
void serialize(Archive& archive, log_frame& x) {
  binary::serialize_fields(archive, x.level, x.text);
}

} // namespace corral::tee
