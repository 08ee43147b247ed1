#include "backends/tee/host/host_channel.hpp"

#include <cstdlib>

#include <unistd.h>

#include "backends/tee/channel_codec.hpp"
#include "backends/tee/frame_io.hpp"
#include "backends/tee/sealed_send.hpp"

namespace corral::tee {

host_channel::host_channel(int fd, const shared_ring_memory& memory,
                           channel_cipher cipher, const session_keys& keys)
  : fd_(fd),
    sealer_(cipher, keys.transmit),
    opener_(cipher, keys.receive),
    to_proxy_(memory.to_proxy(), fd, "the node"),
    to_host_(memory.to_host(), fd, "the node") {
  // After a frame, the host polls for the next one for `channel_spin`
  // before it sleeps, so a steady stream of messages needs no doorbell.
  wait_for_room_ = [this](const ring_ready& ready) {
    return wait_for_doorbell(fd_, to_proxy_.waiting_flag(), ready,
                             channel_spin, std::nullopt);
  };
  wait_for_data_ = [this](const ring_ready& ready) {
    return wait_for_doorbell(fd_, to_host_.waiting_flag(), ready,
                             channel_spin, std::nullopt);
  };
}

send_status host_channel::send(const channel_frame& frame) {
  auto status = send_sealed(to_proxy_, sealer_, frame, wait_for_room_);
  if (status == send_status::corrupt || status == send_status::exhausted)
    std::_Exit(3);
  return status;
}

channel_frame host_channel::receive() {
  std::string sealed;
  auto status = read_ring_frame(to_host_, sealed, wait_for_data_);
  if (status == ring_status::closed)
    std::_Exit(0);
  if (status != ring_status::ok)
    std::_Exit(3);
  auto plain = opener_.open(sealed);
  if (!plain)
    std::_Exit(3);
  auto frame = decode_frame(*plain);
  if (!frame)
    std::_Exit(3);
  return std::move(*frame);
}

bool host_channel::write_sealed(const std::string& sealed) {
  return write_ring_bytes(to_proxy_, framed(sealed), wait_for_room_)
         == ring_status::ok;
}

bool host_channel::send_tampered(const channel_frame& frame) {
  auto sealed = sealer_.seal(encode_frame(frame));
  if (!sealed)
    return false;
  // The middle byte lies in the ciphertext, behind the frame number.
  (*sealed)[sealed->size() / 2] ^= 0x01;
  return write_sealed(*sealed);
}

bool host_channel::send_twice(const channel_frame& frame) {
  auto sealed = sealer_.seal(encode_frame(frame));
  return sealed && write_sealed(*sealed) && write_sealed(*sealed);
}

bool host_channel::send_skipping(const channel_frame& frame) {
  auto plain = encode_frame(frame);
  auto dropped = sealer_.seal(plain);
  auto sealed = sealer_.seal(plain);
  return dropped && sealed && write_sealed(*sealed);
}

void host_channel::corrupt_index() {
  to_proxy_.control().head.store(to_proxy_.head() + 3 * ring_capacity + 5);
  ring_doorbell(fd_);
}

void host_channel::corrupt_length() {
  // 0xfffffff0: far beyond max_frame_bytes, followed by no bytes at all.
  const char prefix[4] = {'\xf0', '\xff', '\xff', '\xff'};
  to_proxy_.write(prefix, sizeof(prefix));
  ring_doorbell(fd_);
}

} // namespace corral::tee
