// Password hashing with scrypt (OpenSSL 3 EVP_KDF "SCRYPT"), a deliberately
// slow, memory-hard KDF. The stored string carries its parameters,
//   "scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>",
// so the cost can be raised later without invalidating existing hashes.
//
// Cost: with the defaults (N=2^15, r=8, p=1) one hash takes ~32 MiB and tens
// of milliseconds of CPU. At most kMaxConcurrentKdf hashes run at once in the
// process (callers beyond that wait), so a burst of logins cannot eat all
// memory; how many may wait is bounded by the caller (KdfAdmission in
// kdf_admission.hpp: the login handler refuses beyond it), so waiting logins
// never hold the whole worker pool.
//
// Thread safety: all functions are thread-safe. They BLOCK (CPU-bound): never
// call them on an I/O thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace patrol::auth {

struct ScryptParams {
  std::uint64_t n = 1u << 15;  // CPU/memory cost, a power of two
  std::uint32_t r = 8;         // block size
  std::uint32_t p = 1;         // parallelism
};

inline constexpr int kMaxConcurrentKdf = 2;

// Hashes with a fresh 16-byte random salt. nullopt only if OpenSSL fails
// (out of memory, invalid parameters).
std::optional<std::string> hash_password(std::string_view password,
                                         const ScryptParams& params = {});

// True when `password` matches `stored` (constant-time comparison of the
// derived key). False for a wrong password and for a malformed `stored`.
bool verify_password(std::string_view password, std::string_view stored);

// Runs one KDF with the default parameters and discards it, so that a login
// for an unknown phone costs as much as one for a known phone (no user
// enumeration by timing).
void burn_password_time(std::string_view password);

}  // namespace patrol::auth
