#include "domain/recurrence.hpp"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <set>

namespace patrol::domain {
namespace {

constexpr Ms kMinute = 60'000;

wire::FieldError bad(std::string field, std::string message) {
  return {"invalid_value", std::move(field), std::move(message)};
}

}  // namespace

std::optional<wire::FieldError> validate(const Recurrence& r) {
  if (r.weekdays.empty()) return wire::FieldError{"required", "weekdays", "at least one weekday"};
  std::set<int> seen;
  for (std::size_t i = 0; i < r.weekdays.size(); ++i) {
    int w = r.weekdays[i];
    std::string f = "weekdays[" + std::to_string(i) + "]";
    if (w < 1 || w > 7) return wire::FieldError{"out_of_range", f, "ISO weekday 1 (Monday) to 7"};
    if (!seen.insert(w).second) return bad(f, "weekday listed twice");
  }
  if (r.start_minute < 0 || r.start_minute >= 24 * 60)
    return wire::FieldError{"out_of_range", "start_time", "HH:MM, 00:00 to 23:59"};
  if (r.duration_min < 1 || r.duration_min > 24 * 60)
    return wire::FieldError{"out_of_range", "duration_min", "1 to 1440 minutes"};
  if (!known_time_zone(r.tz)) return bad("tz", "unknown time zone (IANA name, e.g. Asia/Shanghai)");
  if (r.ends_on && *r.ends_on < r.starts_on) return bad("ends_on", "ends before starts_on");
  std::set<CivilDate> dates;
  for (std::size_t i = 0; i < r.exceptions.size(); ++i) {
    const auto& e = r.exceptions[i];
    std::string f = "exceptions[" + std::to_string(i) + "]";
    if (!dates.insert(e.date).second) return bad(f + ".date", "date listed twice");
    if (e.action == ScheduleException::Action::move) {
      if (!e.start_minute)
        return wire::FieldError{"required", f + ".start_time", "a move names the new start_time"};
      if (*e.start_minute < 0 || *e.start_minute >= 24 * 60)
        return wire::FieldError{"out_of_range", f + ".start_time", "HH:MM, 00:00 to 23:59"};
    }
  }
  return std::nullopt;
}

checked<std::vector<Occurrence>> occurrences(const Recurrence& r, Ms from, Ms to) {
  if (auto e = validate(r)) return *e;
  std::vector<Occurrence> out;
  if (to <= from) return out;
  // Local dates that can hold an overlapping round: a round starts on its local
  // date at most a day (+ the zone's offset, < 1 day) before `from` is reached
  // and ends up to 24 h after its start. Widen by two days each side and filter.
  auto first = utc_to_local_date(from, r.tz);
  auto last = utc_to_local_date(to, r.tz);
  if (!first || !last) return wire::FieldError{"invalid_value", "tz", "unknown time zone"};
  CivilDate d = std::max(add_days(*first, -2), r.starts_on);
  CivilDate end = add_days(*last, 1);
  if (r.ends_on && *r.ends_on < end) end = *r.ends_on;
  for (; d <= end; d = add_days(d, 1)) {
    int w = iso_weekday(d);
    if (std::find(r.weekdays.begin(), r.weekdays.end(), w) == r.weekdays.end()) continue;
    Occurrence o;
    o.date = d;
    int minute = r.start_minute;
    for (const auto& e : r.exceptions) {
      if (e.date != d) continue;
      if (e.action == ScheduleException::Action::cancel) o.cancelled = true;
      if (e.action == ScheduleException::Action::move && e.start_minute) {
        o.moved = true;
        minute = *e.start_minute;
      }
    }
    auto start = local_to_utc(d, minute, r.tz);
    if (!start) return wire::FieldError{"invalid_value", "tz", "unknown time zone"};
    o.starts_at = *start;
    o.ends_at = *start + r.duration_min * kMinute;
    if (o.ends_at <= from || o.starts_at >= to) continue;
    out.push_back(o);
  }
  return out;
}

std::string round_id(std::string_view schedule_id, CivilDate date) {
  std::string in = "patrol.round";
  in.push_back('\0');
  in.append(schedule_id);
  in.push_back('\0');
  in += format_date(date);
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(in.data()), in.size(), h);
  h[6] = static_cast<unsigned char>((h[6] & 0x0F) | 0x80);  // version 8
  h[8] = static_cast<unsigned char>((h[8] & 0x3F) | 0x80);  // RFC 9562 variant
  char buf[37];
  std::snprintf(buf, sizeof buf,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
                h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14],
                h[15]);
  return buf;
}

}  // namespace patrol::domain
