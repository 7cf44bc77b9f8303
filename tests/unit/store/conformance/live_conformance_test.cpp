// LiveStore (the live feed's tails) and TrackerStore conformance.
#include <algorithm>
#include <boost/json/serialize.hpp>
#include <map>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

// `later` is where `earlier` is or after it, tail by tail. (PostgreSQL's
// cursors follow the transaction ids, which other databases on the same
// server also take: an empty tail may still move the cursor on.)
bool not_behind(const LiveCursors& later, const LiveCursors& earlier) {
  return later.changes >= earlier.changes && later.inspections >= earlier.inspections &&
         later.positions >= earlier.positions && later.events >= earlier.events;
}

template <class F>
using LiveConformance = StoreConformance<F>;
TYPED_TEST_SUITE(LiveConformance, Implementations, ImplementationName);

TYPED_TEST(LiveConformance, TailsSeeEachCommittedRowOnceInOrder) {
  auto lt = this->factory_.live(*this->store_);
  ASSERT_TRUE(lt.live);
  auto head = lt.live->live_head();
  ASSERT_TRUE(head);
  // Nothing after the head yet.
  auto empty = lt.live->live_tail(*head, 100);
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->inspections.empty() && empty->changes.empty() && empty->positions.empty());
  EXPECT_TRUE(not_behind(empty->upto, *head));

  const Ms t0 = now_ms() - 60000;
  const auto& site = this->village_site();
  this->apply(this->positions_op(this->volunteer(), 3, t0));
  this->apply(this->inspection_op(site, t0, std::vector<std::string>{}, "live 1"));
  this->apply(this->inspection_op(site, t0 + 1000, std::nullopt, "live 2"));
  this->apply(this->positions_op(this->volunteer(), 2, t0 + 10000));

  auto b = lt.live->live_tail(*head, 100);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->inspections.size(), 2u);
  EXPECT_LT(b->inspections[0].seq, b->inspections[1].seq);  // commit order
  const auto corrected = [](Ms t) { return R"("observed_at_corrected":")" + format_ms(t); };
  EXPECT_NE(b->inspections[0].data.find(corrected(t0)), std::string::npos);
  EXPECT_NE(b->inspections[1].data.find(corrected(t0 + 1000)), std::string::npos);
  EXPECT_EQ(b->inspections[0].org_path, site.org_path);
  ASSERT_FALSE(b->changes.empty());
  EXPECT_TRUE(std::any_of(b->changes.begin(), b->changes.end(),
                          [](const LiveChange& c) { return c.entity == "hazard"; }));
  for (std::size_t i = 1; i < b->changes.size(); ++i)
    EXPECT_GT(b->changes[i].seq, b->changes[i - 1].seq);
  // Five points of one user: one marker, the newest.
  ASSERT_EQ(b->positions.size(), 1u);
  EXPECT_EQ(b->positions[0].latest.user_id, this->volunteer().id);
  EXPECT_EQ(b->positions[0].latest.t, t0 + 10000 + 1000);
  EXPECT_EQ(b->positions[0].org_path, this->volunteer().org_path);
  EXPECT_FALSE(b->more);
  EXPECT_GT(b->upto.inspections, head->inspections);
  EXPECT_GT(b->upto.changes, head->changes);
  EXPECT_GT(b->upto.positions, head->positions);

  // From where it stopped: nothing again; the head is there too.
  auto again = lt.live->live_tail(b->upto, 100);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->inspections.empty() && again->changes.empty() && again->positions.empty());
  auto head2 = lt.live->live_head();
  ASSERT_TRUE(head2);
  EXPECT_TRUE(not_behind(*head2, b->upto));
  EXPECT_TRUE(not_behind(again->upto, b->upto));
  // Events numbered by the store (PostgreSQL) are one per row, increasing
  // in the order handed out; a store that does not number them leaves 0.
  if (b->upto.events != 0) {
    std::vector<std::int64_t> ev;
    for (const auto& i : b->inspections) ev.push_back(i.event);
    for (const auto& c : b->changes) ev.push_back(c.event);
    for (const auto& p : b->positions) ev.push_back(p.event);
    std::sort(ev.begin(), ev.end());
    EXPECT_GT(ev.front(), head->events);
    EXPECT_LE(ev.back(), b->upto.events);
    EXPECT_EQ(std::adjacent_find(ev.begin(), ev.end()), ev.end()) << "an event number repeats";
  } else {
    for (const auto& i : b->inspections) EXPECT_EQ(i.event, 0);
  }

  // A small limit pages through the same rows.
  LiveCursors at = *head;
  std::size_t inspections = 0;
  for (int i = 0; i < 20; ++i) {
    auto p = lt.live->live_tail(at, 1);
    ASSERT_TRUE(p);
    inspections += p->inspections.size();
    at = p->upto;
    if (!p->more) break;
  }
  EXPECT_EQ(inspections, 2u);
  EXPECT_TRUE(not_behind(at, b->upto));
}

// The tail writes an inspection's text from its row without parsing the
// items: it must be, byte for byte, the REST shape of the same row as the
// read path serialises it (what the feed sent before), for any text.
TYPED_TEST(LiveConformance, InspectionTextIsTheRestShapeByteForByte) {
  auto lt = this->factory_.live(*this->store_);
  ASSERT_TRUE(lt.live);
  auto head = lt.live->live_head();
  ASSERT_TRUE(head);
  const auto& site = this->village_site();
  const Ms t0 = now_ms() - 60000;
  const std::string sha(64, 'b');
  auto op = [&](int k, std::string note, std::vector<InspectionItem> items,
                std::optional<GeoPoint> where) {
    auto o = this->inspection_op(site, t0 + k);
    auto& w = std::get<InspectionWrite>(o.action);
    w.inspection.note = std::move(note);
    w.inspection.items = std::move(items);
    w.inspection.position = where;
    return o;
  };
  // Chinese text, quotes, backslashes, control characters (short escapes and
  // \u00XX), DEL, a 4-byte character; empty items; items with and without
  // a note or photos; no position; no accuracy.
  const std::string tricky = "电线私拉乱接 \"充电\" \\ 路径\n第二行\t\x01\x1f\x7f 😀 / end";
  this->apply(op(0, "楼道堆物，已劝离。", {}, GeoPoint{28.851234, 121.14, 8.0}));
  this->apply(op(1, tricky,
                 {{"corridor_clutter", "ok", "", {}},
                  {"flying_wire_charging", "not_applicable", tricky, {}},
                  {"fire_exit_blocked", "ok", "", {sha, sha}},
                  {"extinguisher_missing", "ok", "备注 \"x\"", {sha}}},
                 std::nullopt));
  this->apply(op(2, "", {{"corridor_clutter", "ok", "", {}}}, GeoPoint{-0.5, 1e-7, std::nullopt}));

  auto b = lt.live->live_tail(*head, 100);
  ASSERT_TRUE(b);
  ASSERT_EQ(b->inspections.size(), 3u);
  InspectionFilter f;
  f.scope_path = site.org_path;
  f.limit = 100;
  auto page = this->store_->inspections(f);
  ASSERT_TRUE(page);
  std::map<std::string, std::string> rest;  // id → serialised REST shape
  for (const auto& i : page->items) rest[i.id] = boost::json::serialize(to_json(i));
  for (const auto& li : b->inspections) {
    const auto id_at = li.data.find(R"("id":")");
    ASSERT_EQ(id_at, 1u) << li.data;
    const std::string id = li.data.substr(7, li.data.find('"', 7) - 7);
    ASSERT_TRUE(rest.count(id)) << id;
    EXPECT_EQ(li.data, rest[id]);
    EXPECT_EQ(li.org_path, site.org_path);
  }
}

TYPED_TEST(LiveConformance, RoundsAndPhotoScope) {
  auto lt = this->factory_.live(*this->store_);
  ASSERT_TRUE(lt.live);
  std::size_t planned = 0;
  Ms from = std::numeric_limits<Ms>::max(), to = 0;
  for (const auto& r : this->seed_.rounds) {
    from = std::min(from, r.starts_at);
    to = std::max(to, r.starts_at + 1);
    ++planned;
  }
  auto rounds = lt.live->live_rounds("/", from, to);
  ASSERT_TRUE(rounds);
  EXPECT_EQ(rounds->size(), planned);
  auto none = lt.live->live_rounds("/nowhere/", from, to);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  const std::string sha(64, 'a');
  const auto& site = this->village_site();
  this->apply(this->inspection_op(site, now_ms() - 1000, std::vector<std::string>{sha}));
  auto yes = lt.live->photo_visible(sha, site.org_path);
  ASSERT_TRUE(yes);
  EXPECT_TRUE(*yes);
  auto elsewhere = lt.live->photo_visible(sha, "/1/3/");
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere);
}

TYPED_TEST(LiveConformance, TrackersAreRegisteredToOneUser) {
  auto lt = this->factory_.live(*this->store_);
  ASSERT_TRUE(lt.trackers);
  const auto& me = this->volunteer();
  const auto& other = this->user("13900000003");
  auto r = lt.trackers->register_tracker("osmand-1", me.id, now_ms());
  ASSERT_TRUE(r);
  EXPECT_TRUE(*r);
  r = lt.trackers->register_tracker("osmand-1", me.id, now_ms());
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r) << "idempotent";
  r = lt.trackers->register_tracker("osmand-1", other.id, now_ms());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::conflict);
  auto owner = lt.trackers->tracker_owner("osmand-1");
  ASSERT_TRUE(owner);
  EXPECT_EQ(owner->id, me.id);
  EXPECT_EQ(owner->org_path, me.org_path);
  auto unknown = lt.trackers->tracker_owner("nobody");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error(), errc::not_found);
}

}  // namespace
}  // namespace patrol::store::conformance
