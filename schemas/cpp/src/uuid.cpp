#include "patrol/wire/uuid.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <stdexcept>

namespace patrol::wire {

namespace {

bool is_hex(char c) noexcept {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

bool is_uuid(std::string_view s) noexcept {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!is_hex(s[i])) {
      return false;
    }
  }
  return true;
}

std::string make_uuid_v7() {
  // RFC 9562 §6.2 method 1: the 12-bit rand_a field is a counter seeded at random
  // whenever the millisecond changes, so ids made by this process are strictly
  // increasing even within one millisecond (an outbox ordered by id stays in
  // creation order). On counter overflow the timestamp is advanced by one ms.
  static std::mutex mu;
  static std::uint64_t last_ms = 0;
  static std::uint16_t counter = 0;

  // The random bits come from OpenSSL's CSPRNG as before, drawn 400 ids' worth
  // at a time (a RAND_bytes call costs ~90k instructions whatever its size up
  // to a few KiB: at 32 ids a call it was still ~3k per id, and a phone makes
  // two per report). The pool is refilled in a forked child, so two
  // processes never hand out the same bytes.
  static std::array<unsigned char, 4000> pool{};
  static std::size_t pool_used = pool.size();
  static pid_t pool_pid = 0;
  std::array<unsigned char, 10> rnd{};
  {
    std::lock_guard lock(mu);
    if (pool_used + rnd.size() > pool.size() || pool_pid != ::getpid()) {
      if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1)
        throw std::runtime_error("make_uuid_v7: RAND_bytes failed");
      pool_used = 0;
      pool_pid = ::getpid();
    }
    std::copy_n(pool.begin() + static_cast<std::ptrdiff_t>(pool_used), rnd.size(), rnd.begin());
    std::fill_n(pool.begin() + static_cast<std::ptrdiff_t>(pool_used), rnd.size(), 0);
    pool_used += rnd.size();
  }

  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::uint64_t ms = now < 0 ? 0 : static_cast<std::uint64_t>(now);
  std::uint16_t seq = 0;
  {
    std::lock_guard lock(mu);
    if (ms > last_ms) {
      last_ms = ms;
      // Seed below 0x800 so ~2048 ids fit in one millisecond before overflow.
      counter = static_cast<std::uint16_t>(((rnd[8] << 8) | rnd[9]) & 0x7ff);
    } else {
      ms = last_ms;
      if (++counter > 0xfff) {
        ++last_ms;
        ms = last_ms;
        counter = 0;
      }
    }
    seq = counter;
  }

  std::array<unsigned char, 16> b{};
  for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = (ms >> (8 * (5 - i))) & 0xff;
  b[6] = static_cast<unsigned char>(0x70 | ((seq >> 8) & 0x0f));
  b[7] = static_cast<unsigned char>(seq & 0xff);
  b[8] = static_cast<unsigned char>(0x80 | (rnd[0] & 0x3f));
  for (std::size_t i = 9; i < 16; ++i) b[i] = rnd[i - 8];

  static constexpr char kHex[] = "0123456789abcdef";
  char text[36];
  char* p = text;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = kHex[b[i] >> 4];
    *p++ = kHex[b[i] & 0x0f];
  }
  return std::string(text, sizeof text);
}

}  // namespace patrol::wire
