// corral-enclave-host: runs one Tee agent's workload. The node starts it
// with the channel's socket on descriptor 3 and the shared memory of its
// rings on descriptor 4; docs/tee.md describes the exchange.
// The host measures itself and the workload, isolates itself and responds
// to the proxy's challenge with signed evidence. Then it runs the workload
// with the Wasm backend's interpreter and host ABI, every frame sealed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <csignal>
#include <fcntl.h>
#include <poll.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include "actors/error.hpp"
#include "actors/module_store.hpp"
#include "backends/tee/attestation.hpp"
#include "backends/tee/frame_io.hpp"
#include "backends/tee/host/host_channel.hpp"
#include "backends/tee/host/host_env.hpp"
#include "backends/tee/host/isolation.hpp"
#include "backends/tee/host/report_provider.hpp"
#include "backends/tee/enclave_process.hpp"
#include "backends/tee/shared_ring.hpp"
#include "backends/tee/test_fault.hpp"
#include "backends/wasm/module_compiler.hpp"
#include "backends/wasm/wasm_instance.hpp"

using namespace corral;
using namespace corral::tee;

namespace {

constexpr int channel = host_channel_fd;

// Exit codes the proxy reports when the channel ends early.
constexpr int exit_protocol_error = 2;

template <class T>
T read_plain_frame() {
  std::string bytes;
  if (read_frame(channel, bytes) != read_status::ok)
    std::_Exit(exit_protocol_error);
  auto value = from_binary<T>(bytes);
  if (!value)
    std::_Exit(exit_protocol_error);
  return std::move(*value);
}

[[noreturn]] void refuse(const std::string& reason) {
  evidence_frame answer;
  answer.error = reason;
  write_frame(channel, to_binary(answer));
  std::_Exit(exit_protocol_error);
}

// Describes a file type that cannot be a workload.
const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode))
    return "a directory";
  if (S_ISFIFO(mode))
    return "a FIFO";
  if (S_ISCHR(mode) || S_ISBLK(mode))
    return "a device";
  if (S_ISSOCK(mode))
    return "a socket";
  return "not a regular file";
}

// Reads the workload file, which must be a regular file within the module
// size limit. The resource limits do not apply yet, so a FIFO would stall
// the host and a device such as /dev/zero would exhaust its memory.
std::string read_workload(const std::string& path) {
  const auto limit = wasm::max_module_file_bytes;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    std::string reason = std::strerror(errno);
    if (path.front() != '/')
      reason += " (a relative path is resolved in the node's working folder)";
    refuse("cannot read the workload " + path + ": " + reason);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0)
    refuse("cannot read the workload " + path + ": " + std::strerror(errno));
  if (!S_ISREG(info.st_mode))
    refuse("the workload " + path + " is " + file_kind(info.st_mode)
           + "; give the path of a .wasm or .wat file");
  auto too_large = "the workload " + path + " is larger than the limit of "
                   + std::to_string(limit) + " bytes";
  if (static_cast<std::uint64_t>(info.st_size) > limit)
    refuse(too_large);
  std::string bytes;
  char buffer[1 << 16];
  for (;;) {
    auto n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      refuse("cannot read the workload " + path + ": "
             + std::strerror(errno));
    if (n == 0)
      break;
    bytes.append(buffer, static_cast<std::size_t>(n));
    // The file may grow while it is read.
    if (bytes.size() > limit)
      refuse(too_large);
  }
  ::close(fd);
  return bytes;
}

// Builds and signs the evidence for `hello`, with the test fault applied.
evidence make_evidence(const launch_frame& launch, const hello_frame& hello,
                       const std::string& host_digest,
                       const std::string& workload_digest,
                       const kx_key_pair& keys, report_provider& provider,
                       test_fault fault) {
  evidence x;
  x.platform = launch.enclave_type;
  x.debug = launch.debug;
  x.memory_bytes = launch.memory_bytes;
  x.host_digest = host_digest;
  x.workload_digest = workload_digest;
  x.measurement = combine_measurement(host_digest, workload_digest);
  x.nonce = hello.nonce;
  if (fault == test_fault::replay_nonce) {
    // Evidence of an earlier challenge: signed, but for another nonce.
    x.nonce.assign(nonce_bytes, '\0');
    randombytes_buf(x.nonce.data(), x.nonce.size());
  }
  x.host_public_key = keys.public_bytes();
  x.channel_cipher = hello.channel_cipher;
  if (fault == test_fault::downgrade_cipher) {
    // The other cipher, as a hello changed on its way would make it.
    bool aes = hello.channel_cipher
               == static_cast<std::uint8_t>(channel_cipher::aes256gcm);
    x.channel_cipher = static_cast<std::uint8_t>(
      aes ? channel_cipher::chacha20poly1305_ietf : channel_cipher::aes256gcm);
  }
  x.report_data = make_report_data(x.nonce, x.host_public_key);
  if (auto problem = provider.attest(x))
    refuse(*problem);
  if (fault == test_fault::tamper_signature)
    x.signature[0] = static_cast<char>(x.signature[0] ^ 0x01);
  return x;
}

wasm::run_result run_handler(wasm::wasm_instance& instance,
                             const start_frame& start, done_frame& done) {
  using clock = std::chrono::steady_clock;
  constexpr std::uint64_t slice = 100'000;
  auto started = clock::now();
  auto deadline = started + std::chrono::milliseconds(start.message_timeout_ms);
  std::uint64_t used = 0;
  wasm::run_result result;
  for (;;) {
    auto budget = std::min(slice, start.fuel_per_message - used);
    result = instance.run(budget);
    used += result.instructions;
    if (result.status != wasm::run_status::paused)
      break;
    if (used >= start.fuel_per_message) {
      done.status = static_cast<std::uint8_t>(done_status::fuel_exceeded);
      break;
    }
    if (clock::now() > deadline) {
      done.status = static_cast<std::uint8_t>(done_status::time_exceeded);
      break;
    }
  }
  done.instructions = used;
  done.cpu_ns = static_cast<std::uint64_t>(
    std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now()
                                                         - started)
      .count());
  return result;
}

done_frame handle(wasm::wasm_instance& instance, host_env& env,
                  const start_frame& start, message msg) {
  done_frame done;
  auto kind = static_cast<std::int32_t>(msg.kind);
  auto topic_len = static_cast<std::uint32_t>(msg.topic.size());
  auto payload_len = static_cast<std::uint32_t>(msg.payload.size());
  env.begin(std::move(msg));
  wasm::run_result result;
  if (!instance.begin_message(kind, topic_len, payload_len, result)) {
    done.status = static_cast<std::uint8_t>(done_status::trapped);
  } else {
    result = run_handler(instance, start, done);
    switch (result.status) {
      case wasm::run_status::returned:
        done.status = static_cast<std::uint8_t>(done_status::returned);
        done.value = result.value;
        break;
      case wasm::run_status::trapped:
        done.status = static_cast<std::uint8_t>(done_status::trapped);
        break;
      case wasm::run_status::exited:
        done.status = static_cast<std::uint8_t>(done_status::exited);
        done.value = instance.host().exit_code.value_or(0);
        break;
      case wasm::run_status::memory_exceeded:
        done.status = static_cast<std::uint8_t>(done_status::memory_exceeded);
        break;
      case wasm::run_status::paused:
        break; // fuel or time: set by run_handler
    }
  }
  done.detail = result.detail;
  done.reply = env.finish();
  done.memory_bytes = instance.memory_bytes();
  instance.host().flush_output();
  return done;
}

// Instantiates the workload and runs its start-up code.
std::unique_ptr<wasm::wasm_instance> start_workload(
  host_channel& sealed, host_env& env, const start_frame& start,
  std::shared_ptr<const wasm::compiled_module> module) {
  wasm::instance_limits limits;
  limits.memory_pages = start.memory_pages;
  limits.call_depth = start.call_depth;
  limits.value_stack = start.value_stack;
  auto instance = wasm::wasm_instance::create(std::move(module), limits, env);
  ready_frame ready;
  auto refused = [&](const caf::error& error) {
    auto reason = to_failure(error);
    ready.detail = reason.detail;
    ready.error_code = static_cast<std::uint8_t>(reason.code);
  };
  if (!instance) {
    refused(instance.error());
  } else if (auto error = (*instance)->initialize(start.startup_budget)) {
    (*instance)->host().flush_output();
    refused(error);
  } else {
    (*instance)->host().flush_output();
    ready.ok = true;
    ready.memory_bytes = (*instance)->memory_bytes();
  }
  sealed.send(ready);
  if (!ready.ok)
    std::_Exit(exit_protocol_error);
  return std::move(*instance);
}

} // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  // A node that died before this call closed the channel, so the host
  // ends at its next read, before any workload code runs.
  if (end_with_node())
    return exit_protocol_error;
  if (sodium_init() < 0)
    return exit_protocol_error;
  auto fault = parse_test_fault(argc, argv);
  // Mapped first, while no workload code has run and no filter is in
  // place. attach() closes the descriptor, so the host keeps only 0 to 3.
  std::string ring_error;
  auto rings = shared_ring_memory::attach(host_ring_fd, ring_error);
  if (!rings)
    refuse(ring_error);

  // 1. What to load; measure the host and the workload before running it.
  auto launch = read_plain_frame<launch_frame>();
  if (launch.version != protocol_version)
    refuse("the enclave host speaks protocol version "
           + std::to_string(protocol_version) + ", the node "
           + std::to_string(launch.version));
  if (fault != test_fault::none && launch.enclave_type != "simulation")
    refuse("test faults are accepted in simulation only");
  std::string error;
  auto provider = make_report_provider(launch, error);
  if (!provider)
    refuse(error);
  auto host_digest = file_digest("/proc/self/exe");
  if (!host_digest)
    refuse("cannot read the enclave host's own executable to measure it");
  auto bytes = read_workload(launch.workload);
  auto module = wasm::compile_module(
    launch.workload, bytes, wasm::is_text_module(launch.workload, bytes));
  if (!module)
    refuse(to_failure(module.error()).detail);

  // 2. Isolate before any workload code runs.
  if (auto problem = enter_network_namespace())
    refuse(*problem);
  // Entering a user namespace may change the credentials, which clears
  // the parent death signal.
  if (auto problem = end_with_node())
    refuse(*problem);
  if (auto problem = apply_resource_limits(launch.memory_bytes))
    refuse(*problem);

  // 3. Respond to the challenge. After that only the channel is needed.
  auto hello = read_plain_frame<hello_frame>();
  auto chosen = cipher_of(hello.channel_cipher);
  if (!chosen)
    refuse("the node chose " + cipher_name(hello.channel_cipher)
           + " for the channel, which this enclave host does not know");
  auto cipher = *chosen;
  if (!cipher_available(cipher))
    refuse(std::string("the node chose ") + to_string(cipher)
           + " for the channel, which this CPU does not support");
  if (fault == test_fault::exit_before_evidence) {
    std::fputs("test fault: exiting before the evidence\n", stderr);
    std::_Exit(1);
  }
  // Bounded, so that a host whose proxy never kills it still ends.
  if (fault == test_fault::stall_before_evidence)
    ::sleep(60);
  kx_key_pair keys;
  auto proof = make_evidence(launch, hello, *host_digest,
                             sha256_hex(bytes), keys, *provider, fault);
  provider.reset();
  if (auto problem = install_seccomp_filter())
    refuse(*problem);
  evidence_frame answer;
  answer.value = proof;
  if (!write_frame(channel, to_binary(answer)))
    return 0;
  // The proxy rejects this evidence and kills the host.
  if (fault == test_fault::downgrade_cipher) {
    std::string ignored;
    read_frame(channel, ignored);
    return exit_protocol_error;
  }
  session_keys session;
  if (!host_session_keys(keys, hello.proxy_public_key, session))
    return exit_protocol_error;
  host_channel sealed(channel, *rings, cipher, session);
  sodium_memzero(&session, sizeof(session));

  // 4. The agent's data arrives sealed; run the workload.
  auto first = sealed.receive();
  auto* start = std::get_if<start_frame>(&first);
  if (start == nullptr)
    return exit_protocol_error;
  host_env env(sealed, *start);
  auto instance = start_workload(sealed, env, *start, std::move(*module));
  env.set_running();
  for (;;) {
    auto frame = sealed.receive();
    auto* deliver = std::get_if<deliver_frame>(&frame);
    if (deliver == nullptr)
      return exit_protocol_error;
    if (fault == test_fault::crash_on_message)
      std::abort();
    if (fault == test_fault::corrupt_ring_index
        || fault == test_fault::corrupt_ring_length) {
      if (fault == test_fault::corrupt_ring_index)
        sealed.corrupt_index();
      else
        sealed.corrupt_length();
      // No frame follows, which would overwrite the invalid index. The
      // host waits until the proxy ends the channel or kills it.
      sealed.receive();
      return exit_protocol_error;
    }
    auto done = handle(*instance, env, *start, std::move(deliver->msg));
    if (fault == test_fault::tamper_ciphertext)
      sealed.send_tampered(done);
    else if (fault == test_fault::replay_ciphertext)
      sealed.send_twice(done);
    else if (fault == test_fault::skip_frame_number)
      sealed.send_skipping(done);
    else
      sealed.send(done);
    if (fault == test_fault::stall_reading) {
      // Never reads again, so a large next message fills the proxy's ring
      // to the host. The filter allows only poll to wait; the proxy kills
      // the host long before these 600 s.
      for (int waits = 0; waits < 600; ++waits)
        ::poll(nullptr, 0, 1000);
      return exit_protocol_error;
    }
  }
}
