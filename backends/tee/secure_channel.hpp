#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
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

/// The AEAD construction that seals the channel's frames, both libsodium's
/// with a 256-bit key, a 96-bit nonce and a 128-bit tag. The values are
/// the wire codes in the hello frame and the evidence.
enum class channel_cipher : std::uint8_t {
  /// AES-256-GCM; libsodium offers it only on x86-64 CPUs with AES-NI and
  /// PCLMUL.
  aes256gcm = 1,
  /// ChaCha20-Poly1305 as in RFC 8439, available everywhere.
  chacha20poly1305_ietf = 2,
};

/// Returns the cipher's name in messages and docs, e.g. "AES-256-GCM".
const char* to_string(channel_cipher x);

/// Returns the cipher with wire code `code`, or nothing for a code that
/// names none.
std::optional<channel_cipher> cipher_of(std::uint8_t code);

/// Returns the name of the cipher with wire code `code`, or "unknown
/// cipher N" for a code that names none.
std::string cipher_name(std::uint8_t code);

/// Returns true when libsodium can use `x` on this CPU.
bool cipher_available(channel_cipher x);

/// Returns the cipher the node chooses for a new channel: AES-256-GCM
/// where the CPU supports it, else ChaCha20-Poly1305-IETF. With AES-NI,
/// AES-256-GCM sealed and opened a 150-byte frame about three times
/// faster (docs/benchmarks.md, "Tee channel cipher").
channel_cipher preferred_cipher();

/// Bytes in the frame number that starts every sealed frame.
inline constexpr std::size_t frame_number_bytes = 8;

/// Bytes that sealing adds to a frame: its number and the tag.
inline constexpr std::size_t sealed_overhead
  = frame_number_bytes + crypto_aead_aes256gcm_ABYTES;

static_assert(crypto_aead_aes256gcm_ABYTES
              == crypto_aead_chacha20poly1305_ietf_ABYTES);

/// The frame number that no frame may carry. A direction that has sealed
/// frame `frame_number_limit - 1` is used up, because the next number
/// would wrap to 0 and reuse a nonce under the same key.
inline constexpr std::uint64_t frame_number_limit
  = std::numeric_limits<std::uint64_t>::max();

/// Frames sealed under one derived key. The channel moves to the next key
/// (see `frame_keys`) every 2^14 frames of at most 16 MiB + 64 KiB, so
/// one key seals at most about 275 GB. libsodium's documentation gives
/// ~350 GB as the limit for one AES-256-GCM key.
inline constexpr std::uint64_t frames_per_key = std::uint64_t{1} << 14;

/// The key schedule of one direction: the key for frame number n is
/// `crypto_kdf_derive_from_key` of the direction's session key, with
/// subkey id n / `frames_per_key` and a context that names the cipher.
/// Deriving per cipher means that two sides that disagree on the cipher
/// open nothing.
class frame_keys {
public:
  /// Keeps a copy of the 32-byte `session_key`, wiped by the destructor.
  frame_keys(channel_cipher cipher, const unsigned char* session_key);
  ~frame_keys();
  frame_keys(const frame_keys&) = delete;
  frame_keys& operator=(const frame_keys&) = delete;

  /// Seals `size` bytes at `plain` as frame `number` into `out`, which
  /// has room for `size + crypto_aead_aes256gcm_ABYTES` bytes.
  void seal(std::uint64_t number, const unsigned char* plain,
            std::size_t size, unsigned char* out);

  /// Opens `size` sealed bytes at `sealed` as frame `number` into `out`;
  /// false when they fail authentication.
  bool open(std::uint64_t number, const unsigned char* sealed,
            std::size_t size, unsigned char* out);

  /// Returns the cipher these keys are for.
  channel_cipher cipher() const {
    return cipher_;
  }

private:
  void select_key(std::uint64_t number);

  channel_cipher cipher_;
  unsigned char session_key_[crypto_kdf_KEYBYTES];
  /// The subkey id of `key_`, or none before the first frame.
  std::optional<std::uint64_t> key_id_;
  unsigned char key_[crypto_aead_aes256gcm_KEYBYTES];
  /// The expanded AES key of `key_`, used for AES-256-GCM only.
  crypto_aead_aes256gcm_state aes_;
};

/// The sending half of a channel. Every frame is sealed with the
/// direction's cipher under the nonce of its frame number, counted from
/// `first_number`. The frame carries that number in clear before the
/// ciphertext, so that the receiver can name a frame that is not the
/// next one.
class channel_sealer {
public:
  /// Seals under `key`, a 32-byte session key. `first_number` is 0 except
  /// in tests of the frame number limit.
  channel_sealer(channel_cipher cipher, const unsigned char* key,
                 std::uint64_t first_number = 0);

  /// Encrypts and authenticates `plain` as the next frame. Returns
  /// nothing, and `error()` describes why, once this direction has used
  /// every frame number.
  std::optional<std::string> seal(const std::string& plain);

  /// Appends the next sealed frame to `out`, as `seal` returns it; false,
  /// with `out` unchanged, when the frame numbers are used up.
  bool seal_to(const std::string& plain, std::string& out);

  /// Describes why `seal` failed.
  const std::string& error() const {
    return error_;
  }

private:
  frame_keys keys_;
  std::uint64_t next_number_;
  std::string error_;
};

/// The receiving half of a channel.
class channel_opener {
public:
  /// Opens frames sealed under `key`, expecting `first_number` first (0
  /// except in tests of the frame number limit).
  channel_opener(channel_cipher cipher, const unsigned char* key,
                 std::uint64_t first_number = 0);

  /// Decrypts the next frame, or returns nothing when it is not the next
  /// one (replayed, reordered, or one before it was dropped), fails
  /// authentication (tampered, or sealed under another key or cipher), is
  /// too short, or when every frame number is used. `error()` says which.
  /// The opener accepts nothing after a failure.
  std::optional<std::string> open(const std::string& sealed);

  /// Describes the first failure of `open`.
  const std::string& error() const {
    return error_;
  }

private:
  std::optional<std::string> fail(std::string reason);

  frame_keys keys_;
  std::uint64_t next_number_;
  std::string error_;
};

} // namespace corral::tee
