#include "backends/tee/secure_channel.hpp"

namespace corral::tee {

namespace {

using stream_key = unsigned char[crypto_kx_PUBLICKEYBYTES];

bool copy_key(const std::string& bytes, stream_key& out) {
  if (bytes.size() != crypto_kx_PUBLICKEYBYTES)
    return false;
  for (std::size_t i = 0; i < bytes.size(); ++i)
    out[i] = static_cast<unsigned char>(bytes[i]);
  return true;
}

} // namespace

kx_key_pair::kx_key_pair() {
  crypto_kx_keypair(public_key, secret_key);
}

kx_key_pair::~kx_key_pair() {
  sodium_memzero(secret_key, sizeof(secret_key));
}

std::string kx_key_pair::public_bytes() const {
  return std::string(reinterpret_cast<const char*>(public_key),
                     sizeof(public_key));
}

bool proxy_session_keys(const kx_key_pair& proxy,
                        const std::string& host_public, session_keys& out) {
  stream_key peer;
  if (!copy_key(host_public, peer))
    return false;
  return crypto_kx_client_session_keys(out.receive, out.transmit,
                                       proxy.public_key, proxy.secret_key,
                                       peer)
         == 0;
}

bool host_session_keys(const kx_key_pair& host,
                       const std::string& proxy_public, session_keys& out) {
  stream_key peer;
  if (!copy_key(proxy_public, peer))
    return false;
  return crypto_kx_server_session_keys(out.receive, out.transmit,
                                       host.public_key, host.secret_key, peer)
         == 0;
}

channel_sealer::channel_sealer(const unsigned char* key, std::string& header) {
  unsigned char raw[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
  crypto_secretstream_xchacha20poly1305_init_push(&state_, raw, key);
  header.assign(reinterpret_cast<const char*>(raw), sizeof(raw));
}

channel_sealer::~channel_sealer() {
  sodium_memzero(&state_, sizeof(state_));
}

std::string channel_sealer::seal(const std::string& plain) {
  std::string out(plain.size() + crypto_secretstream_xchacha20poly1305_ABYTES,
                  '\0');
  unsigned long long size = 0;
  crypto_secretstream_xchacha20poly1305_push(
    &state_, reinterpret_cast<unsigned char*>(out.data()), &size,
    reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
    nullptr, 0, crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  out.resize(static_cast<std::size_t>(size));
  return out;
}

channel_opener::channel_opener(const unsigned char* key,
                               const std::string& header, bool& valid) {
  valid = header.size() == crypto_secretstream_xchacha20poly1305_HEADERBYTES
          && crypto_secretstream_xchacha20poly1305_init_pull(
               &state_, reinterpret_cast<const unsigned char*>(header.data()),
               key)
               == 0;
  broken_ = !valid;
}

channel_opener::~channel_opener() {
  sodium_memzero(&state_, sizeof(state_));
}

std::optional<std::string> channel_opener::open(const std::string& sealed) {
  if (broken_ || sealed.size() < crypto_secretstream_xchacha20poly1305_ABYTES)
    return std::nullopt;
  std::string out(sealed.size() - crypto_secretstream_xchacha20poly1305_ABYTES,
                  '\0');
  unsigned long long size = 0;
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(
        &state_, reinterpret_cast<unsigned char*>(out.data()), &size, &tag,
        reinterpret_cast<const unsigned char*>(sealed.data()), sealed.size(),
        nullptr, 0)
        != 0
      || tag != crypto_secretstream_xchacha20poly1305_TAG_MESSAGE) {
    broken_ = true;
    return std::nullopt;
  }
  out.resize(static_cast<std::size_t>(size));
  return out;
}

} // namespace corral::tee
