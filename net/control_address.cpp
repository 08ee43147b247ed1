#include "net/control_address.hpp"

#include <cctype>
#include <cstdlib>

#include <unistd.h>

namespace corral {

namespace {

constexpr const char* ipc_scheme = "ipc://";
constexpr const char* tcp_scheme = "tcp://";

bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

failure invalid(std::string detail) {
  return failure{errc::invalid_request, std::move(detail)};
}

result<control_address> make_ipc_address(const std::string& path,
                                         const std::string& text) {
  if (path.empty())
    return invalid("control address \"" + text + "\" has an empty path");
  if (path.size() > max_ipc_path_bytes)
    return invalid("control socket path \"" + path + "\" is "
                   + std::to_string(path.size())
                   + " bytes long; Unix sockets allow at most "
                   + std::to_string(max_ipc_path_bytes));
  control_address address;
  address.transport = control_transport::ipc;
  address.path = path;
  return address;
}

result<std::uint16_t> parse_port(const std::string& text,
                                 const std::string& address) {
  if (text == "*")
    return std::uint16_t{0};
  bool digits = !text.empty() && text.size() <= 5;
  for (char c : text)
    digits = digits && std::isdigit(static_cast<unsigned char>(c));
  if (!digits || std::stoul(text) > 65535)
    return invalid("control address \"" + address
                   + "\" has an invalid port \"" + text
                   + "\" (expected 0 to 65535 or *)");
  return static_cast<std::uint16_t>(std::stoul(text));
}

result<control_address> parse_tcp_address(const std::string& rest,
                                          const std::string& text) {
  auto colon = rest.rfind(':');
  if (colon == std::string::npos)
    return invalid("control address \"" + text
                   + "\" has no port (expected tcp://127.0.0.1:PORT)");
  auto host = rest.substr(0, colon);
  auto port = parse_port(rest.substr(colon + 1), text);
  if (!port)
    return port.error();

  // Only loopback hosts: the control endpoint can stop every agent, and a
  // token alone is no protection against other machines on the network.
  control_address address;
  address.transport = control_transport::tcp;
  address.port = *port;
  if (host == "127.0.0.1" || host == "localhost")
    address.host = "127.0.0.1";
  else if (host == "[::1]" || host == "::1")
    address.host = "::1";
  else
    return invalid("control address \"" + text
                   + "\" is not a loopback address; the control endpoint "
                     "accepts only 127.0.0.1, localhost or [::1] for tcp");
  return address;
}

bool valid_node_id_for_path(const std::string& node_id) {
  if (node_id.empty() || node_id.front() == '.')
    return false;
  for (char c : node_id) {
    auto u = static_cast<unsigned char>(c);
    if (!std::isalnum(u) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}

} // namespace

result<control_address> parse_control_address(const std::string& text) {
  if (starts_with(text, ipc_scheme))
    return make_ipc_address(text.substr(std::string{ipc_scheme}.size()),
                            text);
  if (starts_with(text, tcp_scheme))
    return parse_tcp_address(text.substr(std::string{tcp_scheme}.size()),
                             text);
  if (text.find("://") != std::string::npos)
    return invalid("control address \"" + text
                   + "\" has an unsupported scheme (expected ipc://PATH, "
                     "tcp://127.0.0.1:PORT or a socket path)");
  return make_ipc_address(text, text);
}

std::string to_endpoint(const control_address& address) {
  if (address.transport == control_transport::ipc)
    return ipc_scheme + address.path;
  auto host = address.host == "::1" ? std::string{"[::1]"} : address.host;
  auto port = address.port == 0 ? std::string{"*"}
                                : std::to_string(address.port);
  return tcp_scheme + host + ":" + port;
}

result<std::string> default_control_path(const std::string& node_id) {
  if (!valid_node_id_for_path(node_id))
    return invalid("node id \"" + node_id
                   + "\" cannot name a socket file; use letters, digits, "
                     "'-', '_' and '.', not starting with '.'");

  std::string directory;
  const char* runtime_dir = std::getenv("XDG_RUNTIME_DIR");
  if (runtime_dir != nullptr && *runtime_dir != '\0')
    directory = std::string{runtime_dir} + "/corral";
  else
    directory = "/tmp/corral-" + std::to_string(::getuid());

  auto path = directory + "/" + node_id + ".sock";
  if (path.size() > max_ipc_path_bytes)
    return invalid("control socket path \"" + path + "\" is "
                   + std::to_string(path.size())
                   + " bytes long; Unix sockets allow at most "
                   + std::to_string(max_ipc_path_bytes)
                   + "; pass a shorter one with --control");
  return path;
}

result<control_address> default_control_address(const std::string& node_id) {
  auto path = default_control_path(node_id);
  if (!path)
    return path.error();
  control_address address;
  address.path = *path;
  return address;
}

} // namespace corral
