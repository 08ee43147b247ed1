#include "backends/tee/host/host_channel.hpp"

#include <cstdlib>

#include <unistd.h>

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/sealed_send.hpp"
#include "backends/tee/frame_io.hpp"

namespace corral::tee {

host_channel::host_channel(int fd, const session_keys& keys)
  : fd_(fd), keys_(keys) {
}

bool host_channel::open_streams() {
  std::string header;
  sealer_ = std::make_unique<channel_sealer>(keys_.transmit, header);
  if (!write_frame(fd_, header))
    return false;
  std::string proxy_header;
  if (read_frame(fd_, proxy_header) != read_status::ok)
    return false;
  bool valid = false;
  opener_ = std::make_unique<channel_opener>(keys_.receive, proxy_header,
                                             valid);
  sodium_memzero(&keys_, sizeof(keys_));
  return valid;
}

send_status host_channel::send(const channel_frame& frame) {
  return send_sealed(fd_, *sealer_, frame);
}

channel_frame host_channel::receive() {
  std::string sealed;
  auto status = read_frame(fd_, sealed, std::nullopt, channel_spin);
  if (status == read_status::closed)
    std::_Exit(0);
  if (status != read_status::ok)
    std::_Exit(3);
  auto plain = opener_->open(sealed);
  if (!plain)
    std::_Exit(3);
  auto frame = decode_frame(*plain);
  if (!frame)
    std::_Exit(3);
  return std::move(*frame);
}

bool host_channel::send_tampered(const channel_frame& frame) {
  auto sealed = sealer_->seal(encode_frame(frame));
  sealed[sealed.size() / 2] ^= 0x01;
  return write_frame(fd_, sealed);
}

bool host_channel::send_twice(const channel_frame& frame) {
  auto sealed = sealer_->seal(encode_frame(frame));
  return write_frame(fd_, sealed) && write_frame(fd_, sealed);
}

} // namespace corral::tee
