// RFC 3339 times as they travel on the wire.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace patrol::wire {

using Millis = std::chrono::sys_time<std::chrono::milliseconds>;

// A parsed RFC 3339 timestamp: the instant, and the offset it was written with
// (kept so a report made at 19:05+08:00 can be shown as local time again).
struct Timestamp {
  Millis instant{};
  int offset_minutes = 0;
};

// Accepts "2026-11-28T19:05:03+08:00", "…03.123Z", lower-case t/z; rejects
// anything else (no leap-second acceptance beyond :60 clamped, no missing zone).
std::optional<Timestamp> parse_rfc3339(std::string_view s);
// Formats as UTC with milliseconds: "2026-11-28T11:05:03.000Z".
std::string format_rfc3339(Millis t);
// Formats with the given offset: "2026-11-28T19:05:03+08:00" (ms only when non-zero).
std::string format_rfc3339(Millis t, int offset_minutes);
Millis now_millis();

}  // namespace patrol::wire
