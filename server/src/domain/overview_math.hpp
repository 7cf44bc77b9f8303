// The numbers of the overview (平安全景图) that are more than a count.
//
// Pure, thread-safe.
#pragma once

#include <optional>
#include <vector>

namespace patrol::domain {

// Share of the hazards found in the period that have been rectified and
// verified (state verified or closed) by now; nullopt when none was found.
inline std::optional<double> rectification_rate(long found, long rectified) noexcept {
  if (found <= 0) return std::nullopt;
  return static_cast<double>(rectified) / static_cast<double>(found);
}

// The median (mean of the middle two for an even count); nullopt when empty.
std::optional<double> median(std::vector<double> v);

}  // namespace patrol::domain
