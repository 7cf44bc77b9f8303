// Coordinate systems. Devices in China that use a domestic map SDK report
// GCJ-02 ("Mars coordinates", WGS84 with a deliberate, non-linear offset of a
// few hundred metres); the server stores WGS84 only. Pure, thread-safe.
#pragma once

namespace patrol::domain {

struct LatLon {
  double lat = 0;
  double lon = 0;
};

// True outside the rough bounding box where GCJ-02 applies (no offset there).
bool outside_china(LatLon p) noexcept;
// The public forward transform WGS84 → GCJ-02.
LatLon wgs84_to_gcj02(LatLon wgs) noexcept;
// Inverse by fixed-point iteration of the forward transform: error well under
// a millimetre (the forward transform has no closed-form inverse).
LatLon gcj02_to_wgs84(LatLon gcj) noexcept;

}  // namespace patrol::domain
