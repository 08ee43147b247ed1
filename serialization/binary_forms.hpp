#pragma once

// The cereal (wire) form of every data type in this folder, and `to_binary`
// and `from_binary` over cereal's PortableBinary archives.
//
// Bytes are laid out exactly as cereal's own std type support writes them
// (cereal/types/string.hpp, vector.hpp, map.hpp, optional.hpp, variant.hpp),
// so a peer that uses those headers directly reads and writes the same bytes.
// Loading does not go through cereal's std loaders, though, because they
// trust their input: a forged length prefix makes them allocate and zero
// that many bytes, and a bool or enum byte out of range becomes undefined
// behaviour. The loaders below read lengths incrementally and check every
// bool and enumerator, so hostile bytes yield a failure and nothing else.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <istream>
#include <map>
#include <new>
#include <optional>
#include <sstream>
#include <streambuf>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "serialization/capabilities.hpp"
#include "serialization/enum_names.hpp"
#include "serialization/errc.hpp"
#include "serialization/exit_reason.hpp"
#include "serialization/limits.hpp"
#include "serialization/message.hpp"
#include "serialization/pid.hpp"
#include "serialization/process_info.hpp"
#include "serialization/result.hpp"
#include "serialization/spawn_backend.hpp"
#include "serialization/spawn_request.hpp"
#include "serialization/supervision.hpp"

namespace corral::binary {

/// Strings are read in pieces of at most this many bytes, so a forged length
/// prefix costs at most one piece of memory beyond the bytes really present.
constexpr std::size_t read_chunk_bytes = 64 * 1024;

/// A reference to one field: saved the way cereal saves its type, loaded by
/// the defensive `read` overloads below. Frame types elsewhere (net/) can
/// use it for their own fields through `serialize_fields`.
template <class T>
struct checked_field {
  T& value;
};

/// Wraps `value` so that loading it checks lengths, bools and enumerators.
template <class T>
checked_field<T> checked(T& value) {
  return checked_field<T>{value};
}

/// Serializes each of `fields` in order, each through `checked`.
template <class Archive, class... Fields>
void serialize_fields(Archive& archive, Fields&... fields) {
  archive(checked(fields)...);
}

// The loaders call each other for nested types (e.g. an optional vector of
// strings), so all of them are declared before any is defined.

template <class Archive>
void read(Archive& archive, bool& x);

template <class Archive>
void read(Archive& archive, std::string& x);

template <class Archive, class T>
void read(Archive& archive, std::vector<T>& x);

template <class Archive, class T>
void read(Archive& archive, std::optional<T>& x);

template <class Archive, class Key, class Value>
void read(Archive& archive, std::map<Key, Value>& x);

template <class Archive, class Enum,
          std::enable_if_t<std::is_enum_v<Enum>, int> = 0>
void read(Archive& archive, Enum& x);

/// Integers, variants and corral structs: cereal's own loader, which for
/// structs calls the `serialize` functions below and for std::variant
/// rejects an index out of range with a cereal::Exception.
template <class Archive, class T,
          std::enable_if_t<!std::is_enum_v<T>, int> = 0>
void read(Archive& archive, T& x) {
  archive(x);
}

/// Reads a bool from its single byte; any byte but 0 and 1 is an error.
template <class Archive>
void read(Archive& archive, bool& x) {
  std::uint8_t byte = 0;
  archive(byte);
  if (byte > 1)
    throw cereal::Exception("invalid bool byte " + std::to_string(byte));
  x = byte == 1;
}

/// Reads a length prefix and then the characters in pieces, so that memory
/// grows only with the bytes that are really there.
template <class Archive>
void read(Archive& archive, std::string& x) {
  cereal::size_type remaining = 0;
  archive(cereal::make_size_tag(remaining));
  x.clear();
  while (remaining > 0) {
    auto piece = static_cast<std::size_t>(
      std::min<cereal::size_type>(remaining, read_chunk_bytes));
    auto offset = x.size();
    x.resize(offset + piece);
    archive(cereal::binary_data(&x[offset], piece));
    remaining -= piece;
  }
}

/// Reads a length prefix and then one element at a time, for the same
/// reason as strings. Elements must encode to at least one byte, else a
/// forged length would loop without consuming input.
template <class Archive, class T>
void read(Archive& archive, std::vector<T>& x) {
  static_assert(!std::is_empty_v<T>,
                "empty elements would let a forged length loop forever");
  cereal::size_type count = 0;
  archive(cereal::make_size_tag(count));
  x.clear();
  for (cereal::size_type i = 0; i < count; ++i) {
    T element{};
    read(archive, element);
    x.push_back(std::move(element));
  }
}

/// Reads cereal's "nullopt" flag and, when it is false, the value.
template <class Archive, class T>
void read(Archive& archive, std::optional<T>& x) {
  bool empty = true;
  read(archive, empty);
  if (empty) {
    x.reset();
    return;
  }
  T value{};
  read(archive, value);
  x = std::move(value);
}

/// Reads a length prefix and key-value pairs; a repeated key is an error
/// because no encoder of a std::map writes one.
template <class Archive, class Key, class Value>
void read(Archive& archive, std::map<Key, Value>& x) {
  cereal::size_type count = 0;
  archive(cereal::make_size_tag(count));
  x.clear();
  for (cereal::size_type i = 0; i < count; ++i) {
    Key key{};
    Value value{};
    read(archive, key);
    read(archive, value);
    if (!x.emplace(std::move(key), std::move(value)).second)
      throw cereal::Exception("repeated map key");
  }
}

/// Reads the underlying integer and rejects values that name no enumerator.
template <class Archive, class Enum, std::enable_if_t<std::is_enum_v<Enum>, int>>
void read(Archive& archive, Enum& x) {
  std::underlying_type_t<Enum> raw{};
  archive(raw);
  auto value = static_cast<Enum>(raw);
  if (!is_enumerator(value))
    throw cereal::Exception("invalid enumerator " + std::to_string(+raw));
  x = value;
}

template <class Archive, class T>
void save(Archive& archive, const checked_field<T>& x) {
  archive(x.value);
}

template <class Archive, class T>
void load(Archive& archive, checked_field<T>& x) {
  read(archive, x.value);
}

/// A read-only stream buffer over a string that the caller keeps alive,
/// which avoids copying the input into a std::istringstream.
class input_buffer : public std::streambuf {
public:
  explicit input_buffer(const std::string& bytes) {
    // The get area is never written: this class overrides neither
    // pbackfail nor any put function, so the const_cast is safe.
    auto* begin = const_cast<char*>(bytes.data());
    setg(begin, begin, begin + bytes.size());
  }

  /// Bytes not consumed yet.
  std::size_t remaining() const {
    return static_cast<std::size_t>(egptr() - gptr());
  }
};

} // namespace corral::binary

namespace corral {

template <class Archive>
void serialize(Archive& archive, failure& x) {
  binary::serialize_fields(archive, x.code, x.detail);
}

template <class Archive>
void serialize(Archive& archive, global_pid& x) {
  binary::serialize_fields(archive, x.node, x.pid);
}

template <class Archive>
void serialize(Archive& archive, enclave_config& x) {
  binary::serialize_fields(archive, x.type, x.workload,
                           x.expected_measurement, x.memory_bytes, x.debug);
}

template <class Archive>
void serialize(Archive&, native_backend&) {
  // No fields: the variant index alone selects Native.
}

template <class Archive>
void serialize(Archive& archive, wasm_backend& x) {
  binary::serialize_fields(archive, x.module, x.sha256);
}

template <class Archive>
void serialize(Archive& archive, container_backend& x) {
  binary::serialize_fields(archive, x.image);
}

template <class Archive>
void serialize(Archive& archive, tee_backend& x) {
  binary::serialize_fields(archive, x.enclave);
}

template <class Archive>
void serialize(Archive& archive, failover_policy& x) {
  binary::serialize_fields(archive, x.mode, x.preferred);
}

template <class Archive>
void serialize(Archive& archive, remote_backend& x) {
  binary::serialize_fields(archive, x.node_id, x.inner, x.failover);
}

template <class Archive>
void serialize(Archive& archive, send_scope& x) {
  binary::serialize_fields(archive, x.kind, x.agents, x.topics);
}

template <class Archive>
void serialize(Archive& archive, capabilities& x) {
  binary::serialize_fields(archive, x.can_spawn, x.can_send, x.can_publish,
                           x.can_network, x.host_functions);
}

template <class Archive>
void serialize(Archive& archive, limits& x) {
  binary::serialize_fields(archive, x.memory_bytes, x.cpu_ms, x.fuel,
                           x.max_messages, x.message_timeout_ms,
                           x.mailbox_size, x.fuel_per_message, x.call_depth,
                           x.value_stack);
}

template <class Archive>
void serialize(Archive& archive, supervisor_spec& x) {
  binary::serialize_fields(archive, x.strategy, x.max_restarts, x.period_ms,
                           x.backoff_initial_ms, x.backoff_max_ms);
}

template <class Archive>
void serialize(Archive& archive, spawn_request& x) {
  binary::serialize_fields(archive, x.agent_id, x.agent_type, x.caps,
                           x.parent_pid, x.env, x.backend, x.restart,
                           x.supervision, x.limits);
}

template <class Archive>
void serialize(Archive& archive, spawn_result& x) {
  binary::serialize_fields(archive, x.pid, x.agent_id, x.global);
}

template <class Archive>
void serialize(Archive& archive, exit_reason& x) {
  binary::serialize_fields(archive, x.kind, x.detail);
}

template <class Archive>
void serialize(Archive& archive, message& x) {
  binary::serialize_fields(archive, x.from, x.to, x.topic, x.payload,
                           x.correlation_id, x.trace_id, x.kind);
}

template <class Archive>
void serialize(Archive& archive, usage& x) {
  binary::serialize_fields(archive, x.messages_in, x.messages_out, x.cpu_ns,
                           x.memory_bytes, x.fuel);
}

template <class Archive>
void serialize(Archive& archive, process_info& x) {
  binary::serialize_fields(archive, x.pid, x.global, x.agent_id,
                           x.agent_type, x.backend, x.node, x.state,
                           x.parent, x.children, x.caps, x.limits, x.usage,
                           x.restart, x.restart_count, x.start_time_ms,
                           x.exit, x.backend_details);
}

template <class Archive>
void serialize(Archive& archive, state_change& x) {
  binary::serialize_fields(archive, x.pid, x.agent_id, x.from, x.to, x.exit,
                           x.time_ms);
}

template <class Archive>
void serialize(Archive& archive, dead_letter& x) {
  binary::serialize_fields(archive, x.message, x.target, x.reason,
                           x.time_ms);
}

/// Encodes `value` with cereal's PortableBinary archive, little-endian,
/// starting with cereal's one-byte endianness flag.
template <class T>
std::string to_binary(const T& value) {
  std::ostringstream out(std::ios::out | std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive archive(
      out, cereal::PortableBinaryOutputArchive::Options::LittleEndian());
    archive(value);
  }
  return out.str();
}

// g++ 12 reports a false -Wmaybe-uninitialized for the strings of
// process_info when this function is inlined in Release builds.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
/// Decodes a `T` written by `to_binary`. Never throws: truncated, garbage
/// or trailing bytes, bools and enumerators out of range and variant
/// indexes out of range all return failure{errc::invalid_request, ...}.
/// Memory use stays within a small multiple of `bytes.size()`, plus one
/// read piece of `binary::read_chunk_bytes`, whatever lengths the input
/// claims.
/// Checks structure only: the receiver still validates meaning, e.g. a
/// spawn request's agent_id with `validate_agent_id`.
template <class T>
result<T> from_binary(const std::string& bytes) {
  auto invalid = [](const std::string& reason) {
    return failure{errc::invalid_request, "invalid binary data: " + reason};
  };

  // cereal treats any non-zero flag byte as "little-endian"; only the two
  // values it writes are accepted here.
  if (bytes.empty())
    return invalid("empty input");
  if (static_cast<unsigned char>(bytes[0]) > 1)
    return invalid("unknown endianness flag "
                   + std::to_string(static_cast<unsigned char>(bytes[0])));

  binary::input_buffer buffer(bytes);
  std::istream in(&buffer);
  try {
    cereal::PortableBinaryInputArchive archive(in);
    T value{};
    archive(binary::checked(value));
    if (buffer.remaining() != 0)
      return invalid(std::to_string(buffer.remaining())
                     + " bytes left over after the value");
    return result<T>(std::move(value));
  } catch (const cereal::Exception& e) {
    return invalid(e.what());
  } catch (const std::bad_alloc&) {
    return invalid("out of memory while decoding");
  } catch (const std::exception& e) {
    return invalid(e.what());
  }
}
#pragma GCC diagnostic pop

} // namespace corral
