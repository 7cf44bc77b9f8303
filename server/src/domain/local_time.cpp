#include "domain/local_time.hpp"

#include <cctz/civil_time.h>
#include <cctz/time_zone.h>

#include <chrono>
#include <cstdio>

namespace patrol::domain {
namespace {

bool digits(std::string_view s) noexcept {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int to_int(std::string_view s) noexcept {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::optional<cctz::time_zone> zone(std::string_view tz) {
  cctz::time_zone z;
  // load_time_zone answers UTC for an unknown name and says so by its result.
  if (tz.empty() || !cctz::load_time_zone(std::string(tz), &z)) return std::nullopt;
  return z;
}

using SysMs = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;

}  // namespace

std::optional<CivilDate> parse_date(std::string_view s) noexcept {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  auto ys = s.substr(0, 4), ms = s.substr(5, 2), ds = s.substr(8, 2);
  if (!digits(ys) || !digits(ms) || !digits(ds)) return std::nullopt;
  CivilDate d{to_int(ys), to_int(ms), to_int(ds)};
  if (d.m < 1 || d.m > 12 || d.d < 1) return std::nullopt;
  // Round-tripping through the day count rejects 2026-02-30.
  if (civil_from_days(days_from_civil(d)) != d) return std::nullopt;
  return d;
}

std::string format_date(CivilDate d) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.y, d.m, d.d);
  return buf;
}

// Howard Hinnant's days_from_civil / civil_from_days (public domain algorithms).
std::int64_t days_from_civil(CivilDate c) noexcept {
  std::int64_t y = c.y - (c.m <= 2 ? 1 : 0);
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = (c.m + 9) % 12;
  const std::int64_t doy = (153 * mp + 2) / 5 + c.d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

CivilDate civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), m, d};
}

int iso_weekday(CivilDate d) noexcept {
  // 1970-01-01 was a Thursday (ISO 4).
  std::int64_t n = days_from_civil(d);
  std::int64_t w = ((n % 7) + 7 + 3) % 7;  // 0 = Monday
  return static_cast<int>(w) + 1;
}

std::optional<int> parse_hhmm(std::string_view s) noexcept {
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  auto hs = s.substr(0, 2), ms = s.substr(3, 2);
  if (!digits(hs) || !digits(ms)) return std::nullopt;
  int h = to_int(hs), m = to_int(ms);
  if (h > 23 || m > 59) return std::nullopt;
  return h * 60 + m;
}

std::string format_hhmm(int minute_of_day) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%02d:%02d", minute_of_day / 60, minute_of_day % 60);
  return buf;
}

bool known_time_zone(std::string_view tz) {
  return zone(tz).has_value();
}

std::optional<Ms> local_to_utc(CivilDate d, int minute_of_day, std::string_view tz) {
  auto z = zone(tz);
  if (!z) return std::nullopt;
  cctz::civil_second cs(d.y, d.m, d.d, minute_of_day / 60, minute_of_day % 60, 0);
  // lookup().pre: for a skipped time the instant computed with the offset in
  // force before the jump (lands after it: 02:30 → 03:30 CEST); for a repeated
  // time the first occurrence; for a unique time the instant itself.
  auto tp = z->lookup(cs).pre;
  return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
}

std::optional<CivilDate> utc_to_local_date(Ms t, std::string_view tz) {
  auto z = zone(tz);
  if (!z) return std::nullopt;
  auto secs = std::chrono::floor<std::chrono::seconds>(SysMs(std::chrono::milliseconds(t)));
  auto cs = cctz::convert(cctz::time_point<cctz::seconds>(secs.time_since_epoch()), *z);
  return CivilDate{static_cast<int>(cs.year()), cs.month(), cs.day()};
}

std::optional<int> utc_offset_minutes(Ms t, std::string_view tz) {
  auto z = zone(tz);
  if (!z) return std::nullopt;
  auto secs = std::chrono::floor<std::chrono::seconds>(SysMs(std::chrono::milliseconds(t)));
  auto al = z->lookup(cctz::time_point<cctz::seconds>(secs.time_since_epoch()));
  return al.offset / 60;
}

}  // namespace patrol::domain
