// Device clocks are often wrong (set by hand, drifted, wrong zone). A push
// carries clock_offset_ms = server clock − device clock as the SDK estimated
// it; device times are shifted by it, and never allowed into the future.
#pragma once

#include <cstdint>
#include <optional>

namespace patrol::domain {

using Ms = std::int64_t;

// device_ms + offset, clamped to at most `received_ms` (what the server saw).
inline Ms correct_device_time(Ms device_ms, std::optional<std::int64_t> offset_ms,
                              Ms received_ms) noexcept {
  Ms t = device_ms + offset_ms.value_or(0);
  return t > received_ms ? received_ms : t;
}

}  // namespace patrol::domain
