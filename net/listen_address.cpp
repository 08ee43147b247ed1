#include "net/listen_address.hpp"

#include "serialization/json_reader.hpp"

namespace corral {

result<listen_address> parse_listen_address(const std::string& text) {
  auto invalid = [&text](const std::string& why) {
    return failure{errc::invalid_request,
                   "invalid cluster address " + quote_for_error(text) + ": "
                     + why};
  };
  const std::string scheme = "tcp://";
  if (text.rfind(scheme, 0) != 0)
    return invalid("expected tcp://HOST:PORT");
  auto rest = text.substr(scheme.size());
  auto colon = rest.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return invalid("expected tcp://HOST:PORT");

  listen_address result;
  result.host = rest.substr(0, colon);
  auto port_text = rest.substr(colon + 1);
  if (port_text.empty() || port_text.size() > 5
      || port_text.find_first_not_of("0123456789") != std::string::npos
      || std::stoul(port_text) > 65535)
    return invalid("the port must be a number from 0 to 65535");
  result.port = static_cast<std::uint16_t>(std::stoul(port_text));

  result.ipv6 = result.host.front() == '[';
  if (result.ipv6 && (result.host.size() < 3 || result.host.back() != ']'))
    return invalid("an IPv6 host must be in brackets, e.g. tcp://[::1]:7000");
  if (!result.ipv6 && result.host.find(':') != std::string::npos)
    return invalid("an IPv6 host must be in brackets, e.g. tcp://[::1]:7000");
  if (result.host == "*" || result.host == "0.0.0.0" || result.host == "[::]")
    return invalid("a wildcard host cannot be announced to peers; give the "
                   "address they should connect to, e.g. "
                   "tcp://127.0.0.1:7000");

  result.bind_endpoint = scheme + result.host + ":"
                         + (result.port == 0 ? std::string{"*"} : port_text);
  return result;
}

} // namespace corral
