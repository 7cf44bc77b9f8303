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

// Writes v as exactly `width` decimal digits (v >= 0, fits).
char* put_digits(char* p, int v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

// Digits by hand rather than snprintf (two calls cost ~4k instructions, and
// a phone stamps three times per report; the server on every op).
std::string format_impl(Millis t, int offset_minutes, bool utc_ms) {
  const auto local = t + minutes{offset_minutes};
  const auto day_start = floor<days>(local);
  const year_month_day ymd{day_start};
  const hh_mm_ss<milliseconds> tod{local - day_start};
  const int ms = static_cast<int>(tod.subseconds().count());
  char buf[48];
  char* p = buf;
  int year = int(ymd.year());
  if (year < 0) {  // as %04d did: a sign, then at least 3 digits
    *p++ = '-';
    year = -year;
    p = put_digits(p, year, year > 999 ? (year > 9999 ? 5 : 4) : 3);
  } else {
    p = put_digits(p, year, year > 9999 ? 5 : 4);
  }
  *p++ = '-';
  p = put_digits(p, static_cast<int>(unsigned(ymd.month())), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<int>(unsigned(ymd.day())), 2);
  *p++ = 'T';
  p = put_digits(p, static_cast<int>(tod.hours().count()), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<int>(tod.minutes().count()), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<int>(tod.seconds().count()), 2);
  if (utc_ms || ms != 0) {
    *p++ = '.';
    p = put_digits(p, ms, 3);
  }
  if (utc_ms) {
    *p++ = 'Z';
  } else {
    const int a = std::abs(offset_minutes);
    *p++ = offset_minutes < 0 ? '-' : '+';
    p = put_digits(p, a / 60, 2);
    *p++ = ':';
    p = put_digits(p, a % 60, 2);
  }
  return std::string(buf, static_cast<std::size_t>(p - buf));
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
