#include "domain/geo.hpp"

#include <cmath>
#include <numbers>

namespace patrol::domain {
namespace {

constexpr double kA = 6378245.0;                // Krasovsky 1940 semi-major axis
constexpr double kEe = 0.00669342162296594323;  // its eccentricity squared
constexpr double kPi = std::numbers::pi;

double transform_lat(double x, double y) {
  double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * std::sqrt(std::abs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(y * kPi) + 40.0 * std::sin(y / 3.0 * kPi)) * 2.0 / 3.0;
  r += (160.0 * std::sin(y / 12.0 * kPi) + 320.0 * std::sin(y * kPi / 30.0)) * 2.0 / 3.0;
  return r;
}

double transform_lon(double x, double y) {
  double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * std::sqrt(std::abs(x));
  r += (20.0 * std::sin(6.0 * x * kPi) + 20.0 * std::sin(2.0 * x * kPi)) * 2.0 / 3.0;
  r += (20.0 * std::sin(x * kPi) + 40.0 * std::sin(x / 3.0 * kPi)) * 2.0 / 3.0;
  r += (150.0 * std::sin(x / 12.0 * kPi) + 300.0 * std::sin(x / 30.0 * kPi)) * 2.0 / 3.0;
  return r;
}

}  // namespace

bool outside_china(LatLon p) noexcept {
  return p.lon < 72.004 || p.lon > 137.8347 || p.lat < 0.8293 || p.lat > 55.8271;
}

LatLon wgs84_to_gcj02(LatLon wgs) noexcept {
  if (outside_china(wgs)) return wgs;
  double d_lat = transform_lat(wgs.lon - 105.0, wgs.lat - 35.0);
  double d_lon = transform_lon(wgs.lon - 105.0, wgs.lat - 35.0);
  double rad_lat = wgs.lat / 180.0 * kPi;
  double magic = std::sin(rad_lat);
  magic = 1 - kEe * magic * magic;
  double sqrt_magic = std::sqrt(magic);
  d_lat = (d_lat * 180.0) / ((kA * (1 - kEe)) / (magic * sqrt_magic) * kPi);
  d_lon = (d_lon * 180.0) / (kA / sqrt_magic * std::cos(rad_lat) * kPi);
  return {wgs.lat + d_lat, wgs.lon + d_lon};
}

LatLon gcj02_to_wgs84(LatLon gcj) noexcept {
  if (outside_china(gcj)) return gcj;
  LatLon w = gcj;
  for (int i = 0; i < 30; ++i) {
    LatLon g = wgs84_to_gcj02(w);
    double dlat = gcj.lat - g.lat, dlon = gcj.lon - g.lon;
    w.lat += dlat;
    w.lon += dlon;
    if (std::abs(dlat) < 1e-10 && std::abs(dlon) < 1e-10) break;
  }
  return w;
}

}  // namespace patrol::domain
