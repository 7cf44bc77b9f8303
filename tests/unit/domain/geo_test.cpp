#include "domain/geo.hpp"

#include <gtest/gtest.h>

#include "domain/clock.hpp"

namespace patrol::domain {
namespace {

struct Case {
  const char* name;
  LatLon wgs;
  LatLon gcj;
};

// Reference vectors published with the widely used eviltransform library.
const Case kCases[] = {
    {"shanghai", {31.1774276, 121.5272106}, {31.17530398364597, 121.531541859215}},
    {"shenzhen", {22.543847, 113.912316}, {22.540796131694766, 113.9171764808363}},
    {"beijing", {39.911954, 116.377817}, {39.91334545536069, 116.38404722455657}},
};

TEST(Geo, ForwardMatchesReferenceVectors) {
  for (const auto& c : kCases) {
    auto g = wgs84_to_gcj02(c.wgs);
    EXPECT_NEAR(g.lat, c.gcj.lat, 1e-9) << c.name;
    EXPECT_NEAR(g.lon, c.gcj.lon, 1e-9) << c.name;
  }
}

TEST(Geo, InverseRecoversWgs84WithinAMillimetre) {
  for (const auto& c : kCases) {
    auto w = gcj02_to_wgs84(c.gcj);
    EXPECT_NEAR(w.lat, c.wgs.lat, 1e-8) << c.name;  // 1e-8° ≈ 1 mm
    EXPECT_NEAR(w.lon, c.wgs.lon, 1e-8) << c.name;
  }
  LatLon linhai{28.8571, 121.1432};
  auto back = gcj02_to_wgs84(wgs84_to_gcj02(linhai));
  EXPECT_NEAR(back.lat, linhai.lat, 1e-8);
  EXPECT_NEAR(back.lon, linhai.lon, 1e-8);
}

TEST(Geo, NoOffsetOutsideChina) {
  LatLon london{51.5074, -0.1278};
  auto g = wgs84_to_gcj02(london);
  EXPECT_EQ(g.lat, london.lat);
  EXPECT_EQ(g.lon, london.lon);
  EXPECT_TRUE(outside_china(london));
  EXPECT_FALSE(outside_china({28.85, 121.14}));
}

TEST(Clock, AppliesOffsetAndNeverGoesIntoTheFuture) {
  EXPECT_EQ(correct_device_time(1000, 500, 10'000), 1500);
  EXPECT_EQ(correct_device_time(1000, std::nullopt, 10'000), 1000);
  EXPECT_EQ(correct_device_time(1000, -400, 10'000), 600);
  EXPECT_EQ(correct_device_time(20'000, std::nullopt, 10'000), 10'000);
}

}  // namespace
}  // namespace patrol::domain
