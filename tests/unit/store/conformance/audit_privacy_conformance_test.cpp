// AuditStore and PrivacyStore conformance (issue 9): the audit log filters
// and pages newest first and survives a reopen; an entry carried by a write
// is committed with it or not at all; track retention deletes only old
// points; an erasure pseudonymises, deletes the track and ends sessions.
#include <set>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using AuditConformance = StoreConformance<F>;
TYPED_TEST_SUITE(AuditConformance, Implementations, ImplementationName);

AuditEntry entry(std::string actor, std::string action, std::string type, std::string id, Ms at) {
  AuditEntry e;
  e.at = at;
  e.actor_id = std::move(actor);
  e.actor_role = "city_admin";
  e.action = std::move(action);
  e.object_type = std::move(type);
  e.object_id = std::move(id);
  e.org_path = "/1/";
  e.device_id = "dev";
  e.address = "127.0.0.1";
  e.details = R"({"fields":["name"]})";
  return e;
}

std::vector<AuditEntry> all(Store& s, AuditFilter f) {
  std::vector<AuditEntry> out;
  for (int pages = 0; pages < 1000; ++pages) {
    auto p = s.audit(f);
    EXPECT_TRUE(p) << p.error().message();
    if (!p) break;
    out.insert(out.end(), p->items.begin(), p->items.end());
    if (!p->next) break;
    f.before_seq = std::stoll(*p->next);
  }
  return out;
}

TYPED_TEST(AuditConformance, AppendsFiltersAndPagesNewestFirst) {
  auto& s = *this->store_;
  const Ms t = now_ms();
  ASSERT_TRUE(s.append_audit(entry("a", "user.create", "user", "u1", t)));
  ASSERT_TRUE(s.append_audit(entry("b", "user.update", "user", "u1", t + 1000)));
  ASSERT_TRUE(s.append_audit(entry("a", "schedule.delete", "schedule", "s1", t + 2000)));
  ASSERT_TRUE(s.append_audit(entry("c", "hazard.transition", "hazard", "h1", t + 3000)));
  ASSERT_TRUE(s.append_audit(entry("a", "user.disable", "user", "u2", t + 4000)));

  AuditFilter f;
  f.limit = 2;
  auto every = all(s, f);
  ASSERT_EQ(every.size(), 5u);
  for (std::size_t i = 1; i < every.size(); ++i) EXPECT_GT(every[i - 1].seq, every[i].seq);
  EXPECT_EQ(every.front().action, "user.disable");
  EXPECT_EQ(every.back().action, "user.create");
  const auto& e = every.back();  // every field round-trips
  EXPECT_EQ(e.actor_id, "a");
  EXPECT_EQ(e.actor_role, "city_admin");
  EXPECT_EQ(e.object_type, "user");
  EXPECT_EQ(e.object_id, "u1");
  EXPECT_EQ(e.org_path, "/1/");
  EXPECT_EQ(e.device_id, "dev");
  EXPECT_EQ(e.address, "127.0.0.1");
  EXPECT_EQ(e.at, t);
  EXPECT_EQ(e.details, R"({"fields":["name"]})");

  AuditFilter by_actor;
  by_actor.actor_id = "a";
  EXPECT_EQ(all(s, by_actor).size(), 3u);
  AuditFilter by_object;
  by_object.object_type = "user";
  by_object.object_id = "u1";
  auto u1 = all(s, by_object);
  ASSERT_EQ(u1.size(), 2u);
  EXPECT_EQ(u1[0].actor_id, "b");
  AuditFilter window;
  window.from = t + 1000;
  window.to = t + 3000;  // exclusive
  auto w = all(s, window);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].action, "schedule.delete");
  EXPECT_EQ(w[1].action, "user.update");

  this->reopen();
  EXPECT_EQ(all(*this->store_, AuditFilter{}).size(), 5u);
}

TYPED_TEST(AuditConformance, AnEntryCarriedByAWriteCommitsWithItOrNotAtAll) {
  auto& s = *this->store_;
  UserWrite w;
  w.user = {wire::make_uuid_v7(),        "13911114444", "审计", "volunteer",
            domain::kDatianLiuVillageId, "/1/2/21/"};
  w.audit = entry("admin", "user.create", "user", w.user.id, now_ms());
  ASSERT_TRUE(s.create_user(w, now_ms()));
  UserWrite dup = w;  // the phone is taken: nothing written, no entry either
  dup.user.id = wire::make_uuid_v7();
  dup.audit = entry("admin", "user.create", "user", dup.user.id, now_ms());
  EXPECT_EQ(s.create_user(dup, now_ms()).error(), errc::conflict);
  UserWrite ghost = w;  // no such user: not_found, no entry
  ghost.user.id = "no-such-user";
  ghost.audit = entry("admin", "user.update", "user", "no-such-user", now_ms());
  EXPECT_EQ(s.update_user(ghost).error(), errc::not_found);
  EXPECT_EQ(s.delete_schedule("no-such-schedule", now_ms(),
                              entry("admin", "schedule.delete", "schedule", "x", now_ms()))
                .error(),
            errc::not_found);

  auto entries = all(s, AuditFilter{});
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].object_id, w.user.id);

  // A hazard change carries its entry; a refused decision writes none.
  this->apply(this->inspection_op(this->village_site(), now_ms(), std::vector<std::string>{}));
  auto hz = this->hazards_at(this->village_site());
  ASSERT_FALSE(hz.empty());
  auto refused = s.change_hazard(
      hz[0].id, [](const Hazard&) -> std::optional<HazardChange> { return std::nullopt; });
  ASSERT_TRUE(refused);
  auto changed = s.change_hazard(hz[0].id, [&](const Hazard& cur) -> std::optional<HazardChange> {
    HazardChange c;
    c.next = cur;
    c.next.state = "assigned";
    c.audit = entry("leader", "hazard.transition", "hazard", cur.id, now_ms());
    return c;
  });
  ASSERT_TRUE(changed);
  AuditFilter f;
  f.object_type = "hazard";
  auto h = all(s, f);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h[0].object_id, hz[0].id);
}

TYPED_TEST(AuditConformance, RetentionDeletesOnlyOldTrackPoints) {
  auto& s = *this->store_;
  const auto& v = this->volunteer();
  const Ms now = now_ms();
  const Ms old = now - 100LL * 24 * 3600 * 1000;
  this->apply(this->positions_op(v, 7, old));  // 7 points 100 days ago
  this->apply(this->positions_op(v, 3, now));  // 3 points now
  this->apply(this->inspection_op(this->village_site(), old));
  auto cutoff = now - 90LL * 24 * 3600 * 1000;
  auto first = s.delete_positions_before(cutoff, 5);  // batches of at most 5
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 5);
  auto second = s.delete_positions_before(cutoff, 5);
  ASSERT_TRUE(second);
  EXPECT_EQ(*second, 2);
  auto third = s.delete_positions_before(cutoff, 5);
  ASSERT_TRUE(third);
  EXPECT_EQ(*third, 0);
  TrackFilter tf;
  tf.user_id = v.id;
  tf.limit = 100;
  auto track = s.track(tf);
  ASSERT_TRUE(track);
  ASSERT_EQ(track->items.size(), 3u);
  for (const auto& p : track->items) EXPECT_GE(p.t, cutoff);
  InspectionFilter inf;
  inf.scope_path = "/";
  inf.user_id = v.id;
  auto ins = s.inspections(inf);
  ASSERT_TRUE(ins);
  EXPECT_EQ(ins->items.size(), 1u) << "inspections are kept";
}

TYPED_TEST(AuditConformance, ErasureDeletesTheTrackPseudonymisesAndEndsSessions) {
  auto& s = *this->store_;
  const auto& v = this->volunteer();
  this->apply(this->positions_op(v, 4, now_ms()));
  this->apply(this->inspection_op(this->village_site(), now_ms()));
  ASSERT_TRUE(s.create_session({"hash-erase", v.id, "dev", now_ms(), now_ms() + 3600'000}));
  UserErasure e;
  e.user_id = v.id;
  e.pseudonym_name = "erased-1";
  e.pseudonym_phone = "erased:" + v.id;
  e.audit = entry("admin", "user.erase", "user", v.id, now_ms());
  ASSERT_TRUE(s.erase_user(e));

  auto u = s.user(v.id);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->name, "erased-1");
  EXPECT_EQ(u->phone, "erased:" + v.id);
  EXPECT_TRUE(u->disabled);
  EXPECT_EQ(s.session("hash-erase", now_ms()).error(), errc::not_found);
  EXPECT_FALSE(s.credentials_by_phone("13900000002")) << "the old phone is gone";
  TrackFilter tf;
  tf.user_id = v.id;
  auto track = s.track(tf);
  ASSERT_TRUE(track);
  EXPECT_TRUE(track->items.empty());
  auto latest = s.latest_positions(v.org_path, std::nullopt, 100);
  ASSERT_TRUE(latest);
  for (const auto& p : latest->items) EXPECT_NE(p.user_id, v.id);
  InspectionFilter inf;
  inf.scope_path = "/";
  inf.user_id = v.id;
  auto ins = s.inspections(inf);
  ASSERT_TRUE(ins);
  EXPECT_EQ(ins->items.size(), 1u) << "what they reported is kept";
  AuditFilter f;
  f.object_id = v.id;
  auto a = all(s, f);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].action, "user.erase");

  UserErasure ghost = e;
  ghost.user_id = "no-such-user";
  ghost.pseudonym_phone = "erased:no-such-user";
  EXPECT_EQ(s.erase_user(ghost).error(), errc::not_found);
}

}  // namespace
}  // namespace patrol::store::conformance
