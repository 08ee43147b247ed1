#include "backends/tee/secure_channel.hpp"

#include <array>
#include <cstring>

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

void put_number(std::uint64_t number, unsigned char* out) {
  for (std::size_t i = 0; i < frame_number_bytes; ++i)
    out[i] = static_cast<unsigned char>(number >> (8 * i));
}

// The 96-bit nonce of frame `number`: the number in little-endian order,
// then four zero bytes. Each direction has its own key, so both may use
// the same numbers.
std::array<unsigned char, crypto_aead_aes256gcm_NPUBBYTES>
nonce_of(std::uint64_t number) {
  static_assert(crypto_aead_aes256gcm_NPUBBYTES
                == crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
  std::array<unsigned char, crypto_aead_aes256gcm_NPUBBYTES> nonce{};
  put_number(number, nonce.data());
  return nonce;
}

std::uint64_t get_number(const unsigned char* bytes) {
  std::uint64_t number = 0;
  for (std::size_t i = 0; i < frame_number_bytes; ++i)
    number |= std::uint64_t{bytes[i]} << (8 * i);
  return number;
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

const char* to_string(channel_cipher x) {
  switch (x) {
    case channel_cipher::aes256gcm:
      return "AES-256-GCM";
    case channel_cipher::chacha20poly1305_ietf:
      return "ChaCha20-Poly1305-IETF";
  }
  return "unknown cipher";
}

std::optional<channel_cipher> cipher_of(std::uint8_t code) {
  for (auto x : {channel_cipher::aes256gcm,
                 channel_cipher::chacha20poly1305_ietf})
    if (code == static_cast<std::uint8_t>(x))
      return x;
  return std::nullopt;
}

std::string cipher_name(std::uint8_t code) {
  if (auto x = cipher_of(code))
    return to_string(*x);
  return "unknown cipher " + std::to_string(code);
}

bool cipher_available(channel_cipher x) {
  switch (x) {
    case channel_cipher::aes256gcm:
      // The CPU's features are detected by sodium_init, which returns
      // at once when it has run before.
      return sodium_init() >= 0 && crypto_aead_aes256gcm_is_available() == 1;
    case channel_cipher::chacha20poly1305_ietf:
      return true;
  }
  return false;
}

channel_cipher preferred_cipher() {
  return cipher_available(channel_cipher::aes256gcm)
           ? channel_cipher::aes256gcm
           : channel_cipher::chacha20poly1305_ietf;
}

static_assert(crypto_kdf_KEYBYTES == crypto_kx_SESSIONKEYBYTES);
static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES
              == crypto_aead_aes256gcm_KEYBYTES);

frame_keys::frame_keys(channel_cipher cipher,
                       const unsigned char* session_key)
  : cipher_(cipher) {
  std::memcpy(session_key_, session_key, sizeof(session_key_));
}

frame_keys::~frame_keys() {
  sodium_memzero(session_key_, sizeof(session_key_));
  sodium_memzero(key_, sizeof(key_));
  sodium_memzero(&aes_, sizeof(aes_));
}

void frame_keys::select_key(std::uint64_t number) {
  auto id = number / frames_per_key;
  if (key_id_ == id)
    return;
  // crypto_kdf contexts are exactly 8 bytes.
  const char* context = cipher_ == channel_cipher::aes256gcm ? "teeaes2g"
                                                             : "teechapo";
  crypto_kdf_derive_from_key(key_, sizeof(key_), id, context, session_key_);
  if (cipher_ == channel_cipher::aes256gcm)
    crypto_aead_aes256gcm_beforenm(&aes_, key_);
  key_id_ = id;
}

void frame_keys::seal(std::uint64_t number, const unsigned char* plain,
                      std::size_t size, unsigned char* out) {
  select_key(number);
  auto nonce = nonce_of(number);
  unsigned long long written = 0;
  if (cipher_ == channel_cipher::aes256gcm)
    crypto_aead_aes256gcm_encrypt_afternm(out, &written, plain, size,
                                          nullptr, 0, nullptr, nonce.data(),
                                          &aes_);
  else
    crypto_aead_chacha20poly1305_ietf_encrypt(out, &written, plain, size,
                                              nullptr, 0, nullptr,
                                              nonce.data(), key_);
}

bool frame_keys::open(std::uint64_t number, const unsigned char* sealed,
                      std::size_t size, unsigned char* out) {
  select_key(number);
  auto nonce = nonce_of(number);
  unsigned long long written = 0;
  if (cipher_ == channel_cipher::aes256gcm)
    return crypto_aead_aes256gcm_decrypt_afternm(out, &written, nullptr,
                                                 sealed, size, nullptr, 0,
                                                 nonce.data(), &aes_)
           == 0;
  return crypto_aead_chacha20poly1305_ietf_decrypt(out, &written, nullptr,
                                                   sealed, size, nullptr, 0,
                                                   nonce.data(), key_)
         == 0;
}

channel_sealer::channel_sealer(channel_cipher cipher,
                               const unsigned char* key,
                               std::uint64_t first_number)
  : keys_(cipher, key), next_number_(first_number) {
}

std::optional<std::string> channel_sealer::seal(const std::string& plain) {
  std::string out;
  if (!seal_to(plain, out))
    return std::nullopt;
  return out;
}

bool channel_sealer::seal_to(const std::string& plain, std::string& out) {
  if (next_number_ == frame_number_limit) {
    error_ = "every frame number of this direction is used (2^64 - 1 "
             "frames); sealing another would reuse a nonce, so the channel "
             "ends";
    return false;
  }
  auto start = out.size();
  out.resize(start + sealed_overhead + plain.size());
  auto* bytes = reinterpret_cast<unsigned char*>(out.data()) + start;
  put_number(next_number_, bytes);
  keys_.seal(next_number_,
             reinterpret_cast<const unsigned char*>(plain.data()),
             plain.size(), bytes + frame_number_bytes);
  ++next_number_;
  return true;
}

channel_opener::channel_opener(channel_cipher cipher,
                               const unsigned char* key,
                               std::uint64_t first_number)
  : keys_(cipher, key), next_number_(first_number) {
}

std::optional<std::string> channel_opener::fail(std::string reason) {
  if (error_.empty())
    error_ = std::move(reason);
  return std::nullopt;
}

std::optional<std::string> channel_opener::open(const std::string& sealed) {
  if (!error_.empty())
    return fail({});
  if (sealed.size() < sealed_overhead)
    return fail("a sealed frame of " + std::to_string(sealed.size())
                + " bytes is shorter than its frame number and tag ("
                + std::to_string(sealed_overhead) + " bytes)");
  if (next_number_ == frame_number_limit)
    return fail("every frame number of this direction is used (2^64 - 1 "
                "frames), so no further frame can be valid");
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  auto number = get_number(bytes);
  if (number != next_number_)
    return fail("frame number " + std::to_string(number)
                + " arrived where frame number "
                + std::to_string(next_number_)
                + " was expected (replayed, reordered or dropped)");
  std::string out(sealed.size() - sealed_overhead, '\0');
  if (!keys_.open(number, bytes + frame_number_bytes,
                  sealed.size() - frame_number_bytes,
                  reinterpret_cast<unsigned char*>(out.data())))
    return fail("frame number " + std::to_string(number)
                + " failed authentication (tampered, or sealed under "
                  "another key or cipher)");
  ++next_number_;
  return out;
}

} // namespace corral::tee
