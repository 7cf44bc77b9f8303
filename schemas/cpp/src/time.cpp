#include "patrol/wire/time.hpp"

#include <cstdio>
#include <cstdlib>

namespace patrol::wire {

namespace {

using namespace std::chrono;

// Reads exactly n decimal digits at s[pos]; -1 when any is not a digit.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  return v;
}

}  // namespace

std::optional<Timestamp> parse_rfc3339(std::string_view s) {
  // date-time = YYYY-MM-DD ("T"|"t") HH:MM:SS [.frac] ("Z"|"z"|("+"|"-")HH:MM)
  if (s.size() < 20) return std::nullopt;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) return std::nullopt;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':')
    return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;

  std::size_t pos = 19;
  int ms = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    int scale = 100;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      ms += (s[pos] - '0') * scale;  // digits past milliseconds are truncated
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (pos >= s.size()) return std::nullopt;

  int offset = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const int oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || s[pos + 3] != ':' || oh > 23 || om > 59) return std::nullopt;
    offset = oh * 60 + om;
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;

  // A leap second cannot be represented in sys_time: clamp :60 to :59.999.
  const bool leap = sec == 60;
  const auto local = sys_days{ymd} + hours{h} + minutes{mi} + seconds{leap ? 59 : sec} +
                     milliseconds{leap ? 999 : ms};
  return Timestamp{local - minutes{offset}, offset};
}

namespace {

std::string format_impl(Millis t, int offset_minutes, bool utc_ms) {
  const auto local = t + minutes{offset_minutes};
  const auto day_start = floor<days>(local);
  const year_month_day ymd{day_start};
  const hh_mm_ss<milliseconds> tod{local - day_start};
  const int ms = static_cast<int>(tod.subseconds().count());
  char buf[48];
  int n = std::snprintf(
      buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()), unsigned(ymd.month()),
      unsigned(ymd.day()), static_cast<int>(tod.hours().count()),
      static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()));
  std::string out(buf, static_cast<std::size_t>(n));
  if (utc_ms || ms != 0) {
    n = std::snprintf(buf, sizeof buf, ".%03d", ms);
    out.append(buf, static_cast<std::size_t>(n));
  }
  if (utc_ms) {
    out.push_back('Z');
  } else {
    const int a = std::abs(offset_minutes);
    n = std::snprintf(buf, sizeof buf, "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60,
                      a % 60);
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

}  // namespace

std::string format_rfc3339(Millis t) {
  return format_impl(t, 0, true);
}

std::string format_rfc3339(Millis t, int offset_minutes) {
  return format_impl(t, offset_minutes, false);
}

Millis now_millis() {
  return floor<milliseconds>(system_clock::now());
}

}  // namespace patrol::wire
