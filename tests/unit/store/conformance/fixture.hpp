// The conformance suite's fixture: a store from the implementation's
// factory, seeded with the demo data, and helpers that build ops. Every
// test is a TYPED_TEST over conformance::Implementations, written against the
// use-case interfaces only (nothing implementation-specific).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "conformance/implementations.hpp"
#include "domain/demo_seed.hpp"
#include "patrol/wire/uuid.hpp"
#include "store/store.hpp"

namespace patrol::store::conformance {

inline Ms now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <class Factory>
class StoreConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    // A factory whose backend may be absent (a database server) says so with
    // `static bool available()`; its tests are then skipped, not failed.
    if constexpr (requires { Factory::available(); }) {
      if (!Factory::available()) GTEST_SKIP() << Factory::kName << " not configured";
    }
    store_ = factory_.open();
    ASSERT_TRUE(store_);
    // The password hash is irrelevant to the store: no KDF here.
    seed_ = domain::demo_seed(now_ms(), [](std::string_view) { return std::string("scrypt$x"); });
    ASSERT_TRUE(store_->seed(seed_));
  }
  void TearDown() override { store_.reset(); }

  // Closes the store and opens it again on the same data.
  void reopen() {
    store_->shutdown();
    store_.reset();
    store_ = factory_.open();
    ASSERT_TRUE(store_);
  }

  const User& user(const std::string& phone) const {
    for (const auto& u : seed_.users)
      if (u.user.phone == phone) return u.user;
    throw std::runtime_error("no user " + phone);
  }
  const User& volunteer() const { return user("13900000002"); }  // 刘小燕, 大田刘村

  // The first seeded site of 大田刘村.
  const Site& village_site() const {
    for (const auto& s : seed_.sites)
      if (s.org_unit_id == domain::kDatianLiuVillageId) return s;
    throw std::runtime_error("no site");
  }

  PreparedOp positions_op(const User& u, int n, Ms t0) const {
    PositionsWrite w;
    w.user_id = u.id;
    w.device_id = "dev";
    w.org_unit_id = u.org_unit_id;
    w.org_path = u.org_path;
    for (int i = 0; i < n; ++i)
      w.points.push_back({0, u.id, t0 + i * 1000, 28.85 + i * 1e-5, 121.14, 5.0});
    return {wire::make_uuid_v7(), u.id, "dev", "position.append", w};
  }

  // An inspection of `site` at `observed_ms`; with `hazard_photos` set, its
  // one item is a photo-required hazard naming those photos.
  PreparedOp inspection_op(const Site& site, Ms observed_ms,
                           std::optional<std::vector<std::string>> hazard_photos = std::nullopt,
                           std::string note = "", std::string id = wire::make_uuid_v7()) const {
    const User& u = volunteer();
    InspectionWrite w;
    auto& i = w.inspection;
    i.id = std::move(id);
    i.site_id = site.id;
    i.org_unit_id = site.org_unit_id;
    i.org_path = site.org_path;
    i.user_id = u.id;
    i.device_id = "dev";
    i.template_id = site.template_id;
    i.template_version = 1;
    i.observed_at = "2026-11-28T19:05:00+08:00";
    i.observed_ms = observed_ms;
    if (hazard_photos) {
      i.items = {{"flying_wire_charging", "hazard", note, *hazard_photos}};
      w.hazards = {{"flying_wire_charging", "critical", true, *hazard_photos, note}};
    } else {
      i.items = {{"corridor_clutter", "ok", "", {}}};
    }
    return PreparedOp{wire::make_uuid_v7(), u.id, "dev", "inspection.create", std::move(w)};
  }

  // Applies one op and expects it applied.
  void apply(PreparedOp op) {
    auto r = store_->apply_ops({std::move(op)});
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->size(), 1u);
    ASSERT_EQ(r->at(0).status, wire::OpStatus::applied)
        << (r->at(0).error ? r->at(0).error->message : "");
  }

  std::vector<Hazard> hazards_at(const Site& site) {
    HazardFilter f;
    f.scope_path = site.org_path;
    f.site_id = site.id;
    auto page = store_->hazards(f);
    EXPECT_TRUE(page);
    return page ? page->items : std::vector<Hazard>{};
  }

  Factory factory_;
  std::unique_ptr<Store> store_;
  SeedData seed_;
};

}  // namespace patrol::store::conformance
