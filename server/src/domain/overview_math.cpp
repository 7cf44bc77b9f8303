#include "domain/overview_math.hpp"

#include <algorithm>

namespace patrol::domain {

std::optional<double> median(std::vector<double> v) {
  if (v.empty()) return std::nullopt;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  double hi = *mid;
  if (v.size() % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), mid);
  return (lo + hi) / 2;
}

}  // namespace patrol::domain
