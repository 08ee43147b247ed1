#pragma once

#include <optional>
#include <string>

#include <sodium.h>

namespace corral::tee {

/// The two directional keys of one session, from libsodium's key exchange
/// (crypto_kx, X25519 + BLAKE2b) over both sides' ephemeral keys.
struct session_keys {
  unsigned char receive[crypto_kx_SESSIONKEYBYTES];
  unsigned char transmit[crypto_kx_SESSIONKEYBYTES];
};

/// An ephemeral X25519 key pair for one session.
struct kx_key_pair {
  unsigned char public_key[crypto_kx_PUBLICKEYBYTES];
  unsigned char secret_key[crypto_kx_SECRETKEYBYTES];

  /// Generates a fresh pair.
  kx_key_pair();
  /// Wipes the secret key.
  ~kx_key_pair();
  kx_key_pair(const kx_key_pair&) = delete;
  kx_key_pair& operator=(const kx_key_pair&) = delete;

  /// The public key as 32 raw bytes.
  std::string public_bytes() const;
};

/// Derives the proxy's (client's) keys; false when `host_public` is not a
/// 32-byte key or the exchange fails (e.g. a low-order point).
bool proxy_session_keys(const kx_key_pair& proxy,
                        const std::string& host_public, session_keys& out);

/// Derives the enclave host's (server's) keys.
bool host_session_keys(const kx_key_pair& host,
                       const std::string& proxy_public, session_keys& out);

/// The sending half of a channel: libsodium's secretstream
/// (XChaCha20-Poly1305). Each sealed message carries an implicit counter,
/// so the receiver rejects a message that was replayed, reordered, dropped
/// before another or changed.
class channel_sealer {
public:
  /// Starts the stream under `key`; `header` gets the 24 bytes the peer
  /// needs to open it.
  channel_sealer(const unsigned char* key, std::string& header);
  ~channel_sealer();
  channel_sealer(const channel_sealer&) = delete;
  channel_sealer& operator=(const channel_sealer&) = delete;

  /// Encrypts and authenticates `plain`.
  std::string seal(const std::string& plain);

private:
  crypto_secretstream_xchacha20poly1305_state state_;
};

/// The receiving half of a channel.
class channel_opener {
public:
  /// Opens the stream started with `header` under `key`; `valid` is false
  /// for a header of the wrong size.
  channel_opener(const unsigned char* key, const std::string& header,
                 bool& valid);
  ~channel_opener();
  channel_opener(const channel_opener&) = delete;
  channel_opener& operator=(const channel_opener&) = delete;

  /// Decrypts the next message, or returns nothing when it fails
  /// authentication: tampered, replayed, reordered or truncated. The
  /// stream cannot be used after a failure.
  std::optional<std::string> open(const std::string& sealed);

private:
  crypto_secretstream_xchacha20poly1305_state state_;
  bool broken_ = false;
};

} // namespace corral::tee
