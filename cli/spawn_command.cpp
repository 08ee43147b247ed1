// `corral spawn`: builds a spawn request from flags or a JSON document and
// sends it to the node.

#include <filesystem>
#include <iostream>
#include <map>

#include "cli/command.hpp"
#include "cli/command_output.hpp"
#include "cli/exit_code.hpp"
#include "cli/file_input.hpp"
#include "cli/node_connection.hpp"
#include "cli/option_checks.hpp"
#include "serialization/json_forms.hpp"
#include "serialization/json_reader.hpp"
#include "serialization/spawn_request.hpp"

namespace corral::cli {

namespace {

struct spawn_options {
  connection_options connection;
  std::string agent_id;
  std::string agent_type;
  std::string backend;
  std::string module;
  std::string image;
  std::string enclave_type;
  std::string measurement;
  std::string on_node;
  std::string failover;
  std::vector<std::string> prefer;
  std::vector<std::string> env;
  std::string restart;
  std::string json_request;
  int timeout_ms = 10'000;
  bool json = false;
};

/// Returns `path` made absolute, because the node may run in another
/// folder than the CLI.
std::string absolute_path(const std::string& path) {
  std::error_code ignored;
  auto absolute = std::filesystem::absolute(path, ignored);
  return absolute.empty() ? path : absolute.string();
}

/// Returns `text` in lower case, for the backend names.
std::string lower_case(const std::string& text) {
  std::string lower;
  for (char c : text)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

/// Reads --backend: "native", "wasm", "container" or "tee" in any case
/// (wasm and tee take their module from --module, container its image from
/// --image), or a backend's JSON form.
result<nlohmann::json> parse_backend(const std::string& text,
                                     const spawn_options& options) {
  const auto& module = options.module;
  const auto& image = options.image;
  auto lower = lower_case(text);
  if (lower == "native")
    return nlohmann::json("Native");
  if (lower == "wasm") {
    if (module.empty())
      return failure{errc::invalid_request,
                     "--backend wasm needs --module PATH, the .wasm or .wat "
                     "file of the agent"};
    return nlohmann::json{{"Wasm", {{"module", absolute_path(module)}}}};
  }
  if (lower == "tee") {
    if (module.empty())
      return failure{errc::invalid_request,
                     "--backend tee needs --module PATH, the .wasm or .wat "
                     "workload the enclave runs"};
    nlohmann::json enclave = {
      {"enclave_type",
       options.enclave_type.empty() ? "simulation" : options.enclave_type},
      {"workload", absolute_path(module)}};
    if (!options.measurement.empty())
      enclave["expected_measurement"] = options.measurement;
    return nlohmann::json{{"Tee", {{"enclave", std::move(enclave)}}}};
  }
  if (lower == "container") {
    if (image.empty())
      return failure{errc::invalid_request,
                     "--backend container needs --image NAME, the image the "
                     "agent runs in"};
    return nlohmann::json{{"Container", {{"image", image}}}};
  }
  if (!text.empty() && (text.front() == '{' || text.front() == '"'))
    return parse_json_text(text);
  return failure{errc::invalid_request,
                 "--backend " + text
                   + " is not supported; use native, wasm (with --module), "
                     "container (with --image), tee (with --module), or "
                     "a backend in its JSON form, e.g. "
                     "'{\"Wasm\":{\"module\":\"/abs/agent.wasm\"}}'"};
}

/// Builds the request document: the --json-request file, if any, with the
/// fields that flags set on top. Failures in the flags are usage errors.
int build_request(const spawn_options& options, nlohmann::json& request) {
  if (!options.json_request.empty()) {
    auto text = read_input_file(options.json_request,
                                "the spawn request file");
    if (!text) {
      std::cerr << "corral: " << text.error().detail << "\n";
      return exit_usage;
    }
    auto parsed = parse_json_text(*text);
    if (!parsed) {
      std::cerr << "corral: invalid spawn request in \""
                << options.json_request << "\": " << parsed.error().detail
                << "\n";
      return exit_failed;
    }
    request = std::move(*parsed);
  } else if (options.agent_id.empty()) {
    std::cerr << "corral: spawn needs --id or --json-request; see corral "
                 "spawn --help\n";
    return exit_usage;
  } else {
    request = nlohmann::json::object();
  }

  // Flags override the document; the node checks the result field by
  // field, and rejects a document that is not an object before that.
  if (!request.is_object())
    return exit_ok;
  if (!options.agent_id.empty()) {
    // The node checks the id too, but a bad flag is a usage error.
    if (auto problem = agent_id_error(options.agent_id)) {
      std::cerr << "corral: --id " << quote_for_error(options.agent_id)
                << " is not a valid agent_id: it " << *problem << "\n";
      return exit_usage;
    }
    request["agent_id"] = options.agent_id;
  }
  if (!options.agent_type.empty())
    request["agent_type"] = options.agent_type;
  if (!options.restart.empty())
    request["restart"] = options.restart;
  if (!options.module.empty() && options.backend.empty()) {
    std::cerr << "corral: --module " << quote_for_error(options.module)
              << " needs --backend wasm or --backend tee\n";
    return exit_usage;
  }
  if (!options.image.empty() && options.backend.empty()) {
    std::cerr << "corral: --image " << quote_for_error(options.image)
              << " needs --backend container\n";
    return exit_usage;
  }
  if ((!options.enclave_type.empty() || !options.measurement.empty())
      && lower_case(options.backend) != "tee") {
    std::cerr << "corral: --enclave-type and --measurement need --backend "
                 "tee\n";
    return exit_usage;
  }
  if (!options.backend.empty()) {
    auto backend = parse_backend(options.backend, options);
    if (!backend) {
      std::cerr << "corral: " << backend.error().detail << "\n";
      return exit_usage;
    }
    request["backend"] = std::move(*backend);
  }
  if (!options.on_node.empty()) {
    // The backend chosen so far runs the agent on the target node.
    auto inner = request.contains("backend") ? request["backend"]
                                             : nlohmann::json("Native");
    nlohmann::json remote
      = {{"node_id", options.on_node}, {"backend", std::move(inner)}};
    if (!options.failover.empty() || !options.prefer.empty())
      remote["failover"]
        = {{"mode", options.failover.empty() ? "any" : options.failover},
           {"preferred", options.prefer}};
    request["backend"] = {{"Remote", std::move(remote)}};
  } else if (!options.failover.empty() || !options.prefer.empty()) {
    std::cerr << "corral: --failover and --prefer apply to agents on "
                 "another node; add --on NODE_ID\n";
    return exit_usage;
  }
  for (const auto& entry : options.env) {
    auto equals = entry.find('=');
    if (equals == std::string::npos || equals == 0) {
      std::cerr << "corral: --env " << entry
                << " is not of the form NAME=VALUE\n";
      return exit_usage;
    }
    request["env"][entry.substr(0, equals)] = entry.substr(equals + 1);
  }
  return exit_ok;
}

int run_spawn(const spawn_options& options) {
  nlohmann::json request;
  if (auto code = build_request(options, request); code != exit_ok)
    return code;

  nlohmann::json call = {{"op", "spawn"}, {"request", std::move(request)}};
  return call_node(options.connection, std::move(call),
                   std::chrono::milliseconds{options.timeout_ms},
                   [&](const nlohmann::json& reply) {
                     const auto& result = reply.at("result");
                     if (options.json)
                       print_json(result);
                     else
                       std::cout << "spawned " << cell_text(result["agent_id"])
                                 << " as " << cell_text(result["global"])
                                 << "\n";
                     return exit_ok;
                   });
}

} // namespace

void add_spawn_command(CLI::App& app, command_table& commands) {
  auto options = std::make_shared<spawn_options>();
  auto* command = app.add_subcommand("spawn", "Spawn an agent on a node");
  command
    ->add_option("--id", options->agent_id,
                 "agent_id of the new agent, unique on the node")
    ->check(non_empty("give the new agent's agent_id"));
  command
    ->add_option("--type", options->agent_type,
                 "Registered native agent type, or the command of a "
                 "container agent (default: command_loop)")
    ->check(non_empty("give an agent type, or leave --type out to use the "
                      "default, command_loop"));
  command
    ->add_option("--backend", options->backend,
                 "Backend: native, wasm (with --module), container (with "
                 "--image), tee (with --module, a simulated enclave unless "
                 "--enclave-type says otherwise), or a backend's JSON form "
                 "(default: native)")
    ->check(non_empty("give a backend, or leave --backend out to use the "
                      "default, native"));
  command
    ->add_option("--module", options->module,
                 "The .wasm or .wat file of a WASM agent or of a Tee agent's "
                 "workload (with --backend wasm or tee); relative paths are "
                 "made absolute")
    ->check(non_empty("give the module's path"));
  command
    ->add_option("--enclave-type", options->enclave_type,
                 "Enclave of a Tee agent (with --backend tee): simulation "
                 "(default), sgx, sev, tdx or trustzone")
    ->check(CLI::IsMember({"simulation", "sgx", "sev", "tdx", "trustzone"}));
  command
    ->add_option("--measurement", options->measurement,
                 "Expected measurement of a Tee agent (with --backend tee): "
                 "64 hex digits; the spawn fails with attestation_failed "
                 "when the enclave's differs")
    ->check(non_empty("give the measurement as 64 hex digits"));
  command
    ->add_option("--image", options->image,
                 "The image of a container agent (with --backend "
                 "container); --type then names the command to run in it")
    ->check(non_empty("give the image's name"));
  command
    ->add_option("--on", options->on_node,
                 "Node id of a cluster member to run the agent on; the "
                 "agent gets a proxy on the node that --node selects")
    ->check(non_empty("give a node id, or leave --on out to spawn on the "
                      "node itself"));
  command
    ->add_option("--failover", options->failover,
                 "Where the supervisor restarts an agent of --on when its "
                 "node goes down: none (default, the same node only) or any "
                 "(another alive member)")
    ->check(CLI::IsMember({"none", "any"}));
  command
    ->add_option("--prefer", options->prefer,
                 "Node id to try first on failover, before the member with "
                 "the fewest agents; repeatable, implies --failover any")
    ->check(non_empty("give a node id"));
  command->add_option("--env", options->env,
                      "Environment entry NAME=VALUE for the agent; repeatable");
  command
    ->add_option("--restart", options->restart,
                 "When the supervisor restarts the agent (default: permanent)")
    ->check(CLI::IsMember({"permanent", "transient", "temporary"}));
  command
    ->add_option("--json-request", options->json_request,
                 "File with a full spawn request in JSON, or - for stdin; "
                 "other flags override its fields")
    ->check(non_empty("give a file, or - for stdin"));
  command
    ->add_option("--timeout", options->timeout_ms,
                 "How long to wait for the node's reply, in ms")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  command->add_flag("--json", options->json, "Print the result as JSON");
  add_connection_options(*command, options->connection);
  commands[command] = [options] { return run_spawn(*options); };
}

} // namespace corral::cli
