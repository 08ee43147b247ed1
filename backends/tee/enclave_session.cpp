#include "backends/tee/enclave_session.hpp"

#include <caf/all.hpp>

#include "actors/error.hpp"
#include "backends/tee/channel_codec.hpp"
#include "backends/tee/frame_io.hpp"
#include "backends/wasm/wasm_launcher.hpp"

namespace corral::tee {

namespace {

using clock = std::chrono::steady_clock;

caf::error rejected(const log_ids& ids, const std::string& reason) {
  corral::log(spdlog::level::warn, ids, "enclave rejected: " + reason);
  return make_error(errc::attestation_failed,
                    "agent " + std::string(ids.agent_id)
                      + ": attestation failed: " + reason);
}

// Reads the host's first response: its evidence, or why it cannot start.
caf::expected<evidence> read_evidence(enclave_process& process,
                                      clock::time_point deadline,
                                      const log_ids& ids,
                                      std::chrono::milliseconds timeout) {
  std::string bytes;
  auto status = read_frame(process.channel(), bytes, deadline);
  if (status == read_status::timed_out)
    return rejected(ids, "the enclave host did not answer the challenge "
                         "within "
                           + std::to_string(timeout.count()) + " ms");
  if (status != read_status::ok) {
    process.kill();
    return rejected(ids, "the enclave host ended before answering the "
                         "challenge ("
                           + process.describe_exit() + ")");
  }
  auto answer = from_binary<evidence_frame>(bytes);
  if (!answer)
    return rejected(ids, "the enclave host's answer is not evidence: "
                           + answer.error().detail);
  if (!answer->value)
    return make_error(errc::spawn_failed,
                      "agent " + std::string(ids.agent_id)
                        + ": the enclave host could not start: "
                        + answer->error.substr(0, 2000));
  return std::move(*answer->value);
}

start_frame make_start(const std::string& node_id,
                       const spawn_request& request, const log_ids& ids,
                       const wasm::instance_limits& limits,
                       const wasm::run_budget& budget) {
  start_frame start;
  start.node_id = node_id;
  start.pid = ids.pid;
  start.agent_id = request.agent_id;
  start.env = request.env;
  start.memory_pages = limits.memory_pages;
  start.call_depth = limits.call_depth;
  start.value_stack = limits.value_stack;
  start.startup_budget = std::min(wasm::startup_budget,
                                  budget.fuel_per_message);
  start.fuel_per_message = budget.fuel_per_message;
  start.message_timeout_ms
    = static_cast<std::uint64_t>(budget.message_timeout.count());
  return start;
}

// Detaches the canceller when `open` returns, before the process it
// points to may go away.
struct canceller_scope {
  open_canceller* canceller;
  ~canceller_scope() {
    if (canceller != nullptr)
      canceller->detach();
  }
};

} // namespace

void open_canceller::cancel() {
  std::lock_guard<std::mutex> guard{mutex_};
  cancelled_ = true;
  if (process_ != nullptr) {
    process_->kill();
    process_->shutdown_channel();
  }
}

bool open_canceller::attach(enclave_process& process) {
  std::lock_guard<std::mutex> guard{mutex_};
  if (cancelled_)
    return false;
  process_ = &process;
  return true;
}

void open_canceller::detach() {
  std::lock_guard<std::mutex> guard{mutex_};
  process_ = nullptr;
}

caf::expected<std::unique_ptr<enclave_session>>
enclave_session::open(const session_opening& opening,
                      open_canceller* canceller) {
  session_settings settings{opening.options, *opening.platform_key,
                            opening.enclave, opening.agent_limits};
  log_ids ids{opening.node_id, opening.pid, opening.request.agent_id};
  return open(settings, ids, opening.node_id, opening.request, canceller);
}

caf::expected<std::unique_ptr<enclave_session>>
enclave_session::open(const session_settings& settings, const log_ids& ids,
                      const std::string& node_id,
                      const spawn_request& request,
                      open_canceller* canceller) {
  auto limits = wasm::resolve_limits(settings.agent_limits);
  if (!limits)
    return limits.error();
  // The enclave's memory size caps the guest's linear memory. When it is
  // the lower cap, the error for a workload that needs more memory names
  // that field, because the Wasm backend's message names limits.
  auto enclave_pages = settings.enclave.memory_bytes / wasm::page_bytes;
  std::string memory_note;
  if (enclave_pages < limits->memory_pages) {
    limits->memory_pages = enclave_pages;
    memory_note = " (for this Tee agent the lower cap is "
                  "backend.Tee.enclave.memory_bytes, "
                  + std::to_string(settings.enclave.memory_bytes)
                  + " bytes or " + std::to_string(enclave_pages)
                  + " pages of 64 KiB, so raise that field)";
  }
  std::unique_ptr<enclave_session> session(new enclave_session);
  session->budget_ = wasm::resolve_budget(settings.agent_limits);

  std::vector<std::string> args;
  if (settings.options.fault != test_fault::none)
    args = {"--test-fault", to_string(settings.options.fault)};
  std::string error;
  session->write_timeout_ = settings.options.channel_write_timeout;
  session->process_ = enclave_process::start(settings.options.host_executable,
                                             args, error);
  if (!session->process_)
    return make_error(errc::spawn_failed,
                      "agent " + request.agent_id + ": " + error);
  canceller_scope scope{canceller};
  if (canceller != nullptr && !canceller->attach(*session->process_))
    return make_error(errc::spawn_failed,
                      "agent " + request.agent_id
                        + ": stopped before its enclave host was attested");
  if (auto failed = session->attest(settings, ids))
    return failed;
  auto deadline = clock::now() + settings.options.attestation_timeout;
  if (auto failed = session->start_agent(
        make_start(node_id, request, ids, *limits, session->budget_), ids,
        deadline, memory_note))
    return failed;
  return session;
}

caf::error enclave_session::attest(const session_settings& settings,
                                   const log_ids& ids) {
  const auto& enclave = settings.enclave;
  auto deadline = clock::now() + settings.options.attestation_timeout;
  int fd = process_->channel();

  launch_frame launch;
  launch.enclave_type = to_string(enclave.type);
  launch.workload = enclave.workload;
  launch.memory_bytes = enclave.memory_bytes;
  launch.debug = enclave.debug;
  if (enclave.type == enclave_type::simulation)
    launch.simulated_platform_key = settings.platform_key.secret_bytes();
  hello_frame hello;
  hello.nonce.assign(nonce_bytes, '\0');
  randombytes_buf(hello.nonce.data(), hello.nonce.size());
  kx_key_pair keys;
  hello.proxy_public_key = keys.public_bytes();
  auto cipher = preferred_cipher();
  hello.channel_cipher = static_cast<std::uint8_t>(cipher);
  // Both frames go at once: the host reads the hello after measuring.
  write_frame(fd, to_binary(launch));
  sodium_memzero(launch.simulated_platform_key.data(),
                 launch.simulated_platform_key.size());
  write_frame(fd, to_binary(hello));

  auto proof = read_evidence(*process_, deadline, ids,
                             settings.options.attestation_timeout);
  if (!proof)
    return std::move(proof.error());
  evidence_expectations expected;
  expected.type = enclave.type;
  expected.nonce = hello.nonce;
  expected.trusted_signer = settings.platform_key.public_bytes();
  expected.expected_measurement = enclave.expected_measurement;
  expected.debug = enclave.debug;
  expected.cipher = cipher;
  expected.policy = &settings.options.policy;
  if (auto problem = verify_evidence(*proof, expected))
    return rejected(ids, *problem);
  evidence_ = std::move(*proof);

  session_keys session;
  if (!proxy_session_keys(keys, evidence_.host_public_key, session))
    return rejected(ids, "the host's public key is not a valid X25519 key");
  sealer_ = std::make_unique<channel_sealer>(cipher, session.transmit);
  opener_ = std::make_unique<channel_opener>(cipher, session.receive);
  sodium_memzero(&session, sizeof(session));
  // From here on, sealed frames go through the rings.
  auto& ring = process_->ring();
  to_host_ = std::make_unique<ring_producer>(ring.to_host(), fd,
                                             "the enclave host");
  to_proxy_ = std::make_unique<ring_consumer>(ring.to_proxy(), fd,
                                              "the enclave host");
  return caf::error{};
}

caf::error enclave_session::start_agent(const start_frame& start,
                                        const log_ids& ids,
                                        clock::time_point deadline,
                                        const std::string& memory_note) {
  auto sent = send(start);
  if (sent == send_status::too_large)
    return make_error(errc::invalid_request,
                      "agent " + std::string(ids.agent_id)
                        + ": the spawn request's env is too large for the "
                          "enclave channel, whose frames hold at most "
                        + std::to_string(max_frame_bytes)
                        + " bytes; pass less in env");
  if (sent == send_status::corrupt || sent == send_status::exhausted) {
    process_->kill();
    return make_error(errc::spawn_failed,
                      "agent " + std::string(ids.agent_id)
                        + ": enclave channel: " + channel_error(sent)
                        + "; the enclave host was killed");
  }
  if (sent != send_status::sent) {
    process_->kill();
    return make_error(errc::spawn_failed,
                      "agent " + std::string(ids.agent_id)
                        + ": the enclave host did not take the start frame ("
                        + process_->describe_exit() + ")");
  }
  // Log lines of the start-up code may come before the ready frame.
  int fd = process_->channel();
  auto wait = [this, fd, deadline](const ring_ready& ready) {
    return wait_for_doorbell(fd, to_proxy_->waiting_flag(), ready,
                             channel_spin, deadline);
  };
  for (;;) {
    std::string sealed;
    auto status = read_ring_frame(*to_proxy_, sealed, wait);
    if (status == ring_status::corrupt) {
      process_->kill();
      return make_error(errc::spawn_failed,
                        "agent " + std::string(ids.agent_id)
                          + ": enclave channel: " + to_proxy_->error()
                          + "; the enclave host was killed");
    }
    if (status != ring_status::ok) {
      process_->kill();
      return make_error(errc::spawn_failed,
                        "agent " + std::string(ids.agent_id)
                          + ": the enclave host ended during start-up ("
                          + process_->describe_exit() + ")");
    }
    auto plain = opener_->open(sealed);
    if (!plain)
      return rejected(ids, "a sealed frame from the enclave host was "
                           "rejected during start-up: "
                             + opener_->error());
    auto frame = decode_frame(*plain);
    if (!frame)
      return rejected(ids, "a sealed frame from the enclave host does not "
                           "decode during start-up");
    if (auto* line = std::get_if<log_frame>(&*frame)) {
      corral::log(static_cast<spdlog::level::level_enum>(
                    std::min<std::uint8_t>(line->level, spdlog::level::off)),
                  ids, line->text);
      continue;
    }
    auto* ready = std::get_if<ready_frame>(&*frame);
    if (ready == nullptr)
      return make_error(errc::spawn_failed,
                        "agent " + std::string(ids.agent_id)
                          + ": the enclave host sent no ready frame");
    if (!ready->ok) {
      auto detail = "agent " + std::string(ids.agent_id)
                    + ": the workload did not start: "
                    + ready->detail.substr(0, 2000);
      // The same code as the Wasm backend for a module that needs more
      // memory than the agent may use; any other failure is spawn_failed.
      if (ready->error_code
          == static_cast<std::uint8_t>(errc::resource_limit_exceeded))
        return make_error(errc::resource_limit_exceeded,
                          detail + memory_note);
      return make_error(errc::spawn_failed, detail);
    }
    memory_bytes_ = ready->memory_bytes;
    return caf::error{};
  }
}

std::map<std::string, std::string> enclave_session::details() const {
  return {
    {"enclave_type", evidence_.platform},
    {"measurement", evidence_.measurement},
    {"simulated", evidence_.simulated
                    ? "yes: no hardware protection, evidence signed by the "
                      "node's simulated platform key"
                    : "no"},
    {"debug", evidence_.debug ? "yes: a debug enclave" : "no"},
    {"enclave_host_pid", std::to_string(process_->pid())},
  };
}

send_status enclave_session::send(const channel_frame& frame) {
  // The reader thread reads the socket's doorbells, so this side waits for
  // room without one. The host takes the frames it waits for at once, so
  // the ring is rarely full: only while a frame larger than it streams.
  int fd = process_->channel();
  auto deadline = clock::now() + write_timeout_;
  return send_sealed(*to_host_, *sealer_, frame,
                     [fd, deadline](const ring_ready& ready) {
                       return poll_ring(fd, ready, channel_spin, deadline);
                     });
}

} // namespace corral::tee
