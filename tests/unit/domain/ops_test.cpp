#include "domain/ops.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <random>

#include "domain/demo_seed.hpp"
#include "domain/geo.hpp"
#include "patrol/wire/uuid.hpp"
#include "store/sqlite_store.hpp"

namespace patrol::domain {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

class OpValidatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("patrol-domain-" + std::to_string(rd()));
    fs::create_directories(dir_);
    store::SqliteStoreOptions o;
    o.db_path = dir_ / "patrol.db";
    auto s = store::SqliteStore::open(o);
    ASSERT_TRUE(s);
    store_ = std::move(*s);
    seed_ = demo_seed(now_, [](std::string_view) { return std::string("h"); });
    ASSERT_TRUE(store_->seed(seed_));
    for (const auto& s : seed_.sites) {
      if (s.org_unit_id == kDatianLiuVillageId && liu_site_.empty()) liu_site_ = s.id;
      if (s.org_unit_id == kDongxiShanVillageId && shan_site_.empty()) shan_site_ = s.id;
    }
    for (const auto& r : seed_.rounds) round_ = r.id;
    for (const auto& u : seed_.users)
      if (u.user.phone == "13900000002") volunteer_ = u.user;
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  Principal who() const {
    return {volunteer_.id,
            volunteer_.name,
            volunteer_.role,
            std::to_string(volunteer_.org_unit_id),
            volunteer_.org_path,
            "dev",
            ""};
  }

  json::object inspection() const {
    json::object body{
        {"id", wire::make_uuid_v7()},
        {"site_id", liu_site_},
        {"template_id", "tpl-small-premises"},
        {"template_version", 1},
        {"round_id", nullptr},
        {"observed_at", "2026-11-28T19:05:00+08:00"},
        {"items", json::array{json::object{{"code", "flying_wire_charging"}, {"result", "hazard"}},
                              json::object{{"code", "corridor_clutter"}, {"result", "ok"}}}},
        {"note", ""}};
    return {{"op_id", wire::make_uuid_v7()}, {"type", "inspection.create"}, {"body", body}};
  }

  store::PreparedOp prepare(const json::value& op, std::optional<std::int64_t> offset = {}) {
    OpValidator v(*store_, templates_, {who(), "dev", offset, now_});
    auto r = v.prepare(op);
    EXPECT_TRUE(r);
    EXPECT_TRUE(std::holds_alternative<store::PreparedOp>(*r));
    return std::get<store::PreparedOp>(*r);
  }

  store::Ms now_ = 1795867200000;
  fs::path dir_;
  std::unique_ptr<store::SqliteStore> store_;
  store::SeedData seed_;
  TemplateCache templates_;
  std::string liu_site_, shan_site_, round_;
  store::User volunteer_;
};

TEST_F(OpValidatorTest, RejectsEachRuleWithCodeAndField) {
  struct Case {
    const char* name;
    std::function<void(json::object&)> edit;
    const char* code;
    const char* field;
  };
  const Case cases[] = {
      {"unknown site", [](json::object& o) { o["body"].as_object()["site_id"] = "nope"; },
       "not_found", "body.site_id"},
      {"site of another village",
       [this](json::object& o) { o["body"].as_object()["site_id"] = shan_site_; }, "not_found",
       "body.site_id"},
      {"unknown template version",
       [](json::object& o) { o["body"].as_object()["template_version"] = 7; }, "not_found",
       "body.template_version"},
      {"template for another category",
       [](json::object& o) { o["body"].as_object()["template_id"] = "tpl-rental-housing"; },
       "template_mismatch", "body.template_id"},
      {"item not in the template",
       [](json::object& o) {
         o["body"].as_object()["items"].as_array()[1].as_object()["code"] = "no_such_item";
       },
       "unknown_item", "body.items[1].code"},
      {"unknown round", [](json::object& o) { o["body"].as_object()["round_id"] = "r-x"; },
       "not_found", "body.round_id"},
      {"unknown type", [](json::object& o) { o["type"] = "inspection.delete"; }, nullptr, "type"},
      {"bad item result",
       [](json::object& o) {
         o["body"].as_object()["items"].as_array()[0].as_object()["result"] = "bad";
       },
       nullptr, "body.items[0].result"},
  };
  for (const auto& c : cases) {
    auto op = inspection();
    c.edit(op);
    auto p = prepare(op);
    auto* err = std::get_if<wire::FieldError>(&p.action);
    ASSERT_NE(err, nullptr) << c.name;
    if (c.code) {
      EXPECT_EQ(err->code, c.code) << c.name;
    }
    EXPECT_EQ(err->field, c.field) << c.name;
  }
}

TEST_F(OpValidatorTest, AcceptsAValidInspectionAndDerivesHazards) {
  auto op = inspection();
  op["body"].as_object()["round_id"] = round_;
  auto p = prepare(op, 60'000);
  auto* w = std::get_if<store::InspectionWrite>(&p.action);
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->hazards.size(), 1u);
  EXPECT_EQ(w->hazards[0].code, "flying_wire_charging");
  EXPECT_EQ(w->hazards[0].severity, "critical");
  EXPECT_TRUE(w->hazards[0].photo_required);
  // 19:05 +08:00 = 11:05 UTC = now - 55 min, plus the device's one minute behind the server.
  EXPECT_EQ(w->inspection.observed_ms, now_ - 55 * 60'000 + 60'000);
  EXPECT_EQ(w->inspection.org_path, "/1/2/21/");
}

TEST_F(OpValidatorTest, ConvertsGcj02PositionsToWgs84) {
  json::object op{
      {"op_id", wire::make_uuid_v7()},
      {"type", "position.append"},
      {"body", json::object{{"crs", "gcj02"},
                            {"points", json::array{json::object{{"t", "2026-11-28T19:05:00+08:00"},
                                                                {"lat", 28.8571},
                                                                {"lon", 121.1432}}}}}}};
  auto p = prepare(op);
  auto* w = std::get_if<store::PositionsWrite>(&p.action);
  ASSERT_NE(w, nullptr);
  auto expect = gcj02_to_wgs84({28.8571, 121.1432});
  EXPECT_DOUBLE_EQ(w->points[0].lat, expect.lat);
  EXPECT_DOUBLE_EQ(w->points[0].lon, expect.lon);
  EXPECT_GT(std::abs(w->points[0].lon - 121.1432), 1e-3) << "the offset is hundreds of metres";
}

TEST_F(OpValidatorTest, OpWithoutUsableIdIsNotRecorded) {
  OpValidator v(*store_, templates_, {who(), "dev", std::nullopt, now_});
  auto r = v.prepare(json::parse(R"({"op_id":"not-a-uuid","type":"inspection.create","body":{}})"));
  ASSERT_TRUE(r);
  auto* u = std::get_if<Unrecordable>(&*r);
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->op_id, "not-a-uuid");
  EXPECT_EQ(u->error.field, "op_id");
}

}  // namespace
}  // namespace patrol::domain
