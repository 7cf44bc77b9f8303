// Local calendar time in a named IANA time zone (Asia/Shanghai, Europe/Berlin)
// from the system's tz database (Debian `tzdata`, read through CCTZ: g++ 12's
// libstdc++ has no std::chrono::tzdb). Schedules say "19:00 on Mondays in
// Asia/Shanghai"; rounds are stored as UTC instants.
//
// Thread safety: everything here may be called from any thread (CCTZ caches
// loaded zones behind its own lock). Pure apart from reading zone files once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace patrol::domain {

using Ms = std::int64_t;  // milliseconds since the Unix epoch, UTC

inline constexpr std::string_view kDefaultTz = "Asia/Shanghai";

// A calendar date (proleptic Gregorian). Ordered, and days can be added.
struct CivilDate {
  int y = 1970;
  int m = 1;
  int d = 1;
  friend auto operator<=>(const CivilDate&, const CivilDate&) = default;
};

// "2026-11-30" → date; nullopt unless exactly YYYY-MM-DD and a real date.
std::optional<CivilDate> parse_date(std::string_view s) noexcept;
std::string format_date(CivilDate d);
// Days since 1970-01-01 and back (exact for any representable date).
std::int64_t days_from_civil(CivilDate d) noexcept;
CivilDate civil_from_days(std::int64_t days) noexcept;
inline CivilDate add_days(CivilDate d, std::int64_t n) noexcept {
  return civil_from_days(days_from_civil(d) + n);
}
// ISO weekday: 1 = Monday … 7 = Sunday.
int iso_weekday(CivilDate d) noexcept;

// "19:00" → minutes after midnight (0..1439); nullopt unless HH:MM, 00:00..23:59.
std::optional<int> parse_hhmm(std::string_view s) noexcept;
std::string format_hhmm(int minute_of_day);

// True when the tz database knows `tz` (an IANA name such as "Asia/Shanghai").
bool known_time_zone(std::string_view tz);

// The UTC instant of a local wall-clock time. A time skipped by a DST change
// (02:30 on the spring-forward night in Europe/Berlin) maps to the instant the
// clock would show had it not jumped (03:30 local, like RFC 5545); a repeated
// time (autumn) maps to its first occurrence. nullopt for an unknown zone.
std::optional<Ms> local_to_utc(CivilDate d, int minute_of_day, std::string_view tz);
// The local calendar date of an instant; nullopt for an unknown zone.
std::optional<CivilDate> utc_to_local_date(Ms t, std::string_view tz);
// The UTC offset in minutes in force at `t` (480 for Asia/Shanghai); nullopt
// for an unknown zone.
std::optional<int> utc_offset_minutes(Ms t, std::string_view tz);

}  // namespace patrol::domain
