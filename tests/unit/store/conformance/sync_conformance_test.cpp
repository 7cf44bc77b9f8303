// SyncStore conformance: idempotent ops, rejections alone, the change log.
#include <future>
#include <thread>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using SyncConformance = StoreConformance<F>;
TYPED_TEST_SUITE(SyncConformance, Implementations, ImplementationName);

TYPED_TEST(SyncConformance, DuplicateOpReturnsTheFirstOutcome) {
  const User& u = this->volunteer();
  auto op = this->positions_op(u, 2, now_ms() - 5000);
  auto first = this->store_->apply_ops({op});
  ASSERT_TRUE(first);
  EXPECT_EQ(first->at(0).status, wire::OpStatus::applied);
  auto second = this->store_->apply_ops({op});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->at(0).status, wire::OpStatus::duplicate);
  EXPECT_EQ(second->at(0).received_at, first->at(0).received_at);
  auto track = this->store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 100});
  EXPECT_EQ(track->items.size(), 2u) << "nothing written twice";

  // A first rejection stays the answer even when a later push would be valid.
  PreparedOp rej{wire::make_uuid_v7(), u.id, "dev", "inspection.create",
                 wire::FieldError{"not_found", "body.site_id", "no such site"}};
  auto r1 = this->store_->apply_ops({rej});
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->at(0).status, wire::OpStatus::rejected);
  auto valid = this->positions_op(u, 1, now_ms());
  valid.op_id = rej.op_id;
  auto r2 = this->store_->apply_ops({valid});
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->at(0).status, wire::OpStatus::rejected);
  ASSERT_TRUE(r2->at(0).error);
  EXPECT_EQ(r2->at(0).error->code, "not_found");
  EXPECT_EQ(r2->at(0).error->field, "body.site_id");

  // The same op twice in one batch: applied, then duplicate.
  auto dup = this->positions_op(u, 1, now_ms());
  auto r3 = this->store_->apply_ops({dup, dup});
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->at(0).status, wire::OpStatus::applied);
  EXPECT_EQ(r3->at(1).status, wire::OpStatus::duplicate);
}

TYPED_TEST(SyncConformance, AnotherUsersOpIdIsRejectedWithoutRevealingIt) {
  auto op = this->positions_op(this->volunteer(), 1, now_ms());
  ASSERT_TRUE(this->store_->apply_ops({op}));
  auto theirs = this->positions_op(this->user("13900000005"), 1, now_ms());
  theirs.op_id = op.op_id;
  auto r = this->store_->apply_ops({theirs});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at(0).status, wire::OpStatus::rejected);
  ASSERT_TRUE(r->at(0).error);
  EXPECT_EQ(r->at(0).error->field, "op_id");
}

TYPED_TEST(SyncConformance, AnOpThatFailsInTheWriteIsRejectedAloneAndOthersApply) {
  const User& u = this->volunteer();
  Site gone = this->village_site();
  gone.id = "gone";
  std::string reused = wire::make_uuid_v7();
  const Site& site = this->village_site();
  // A site that vanished fails inside the write; a reused inspection id is
  // caught before it. Both are rejected alone.
  auto r = this->store_->apply_ops({this->positions_op(u, 1, now_ms()),
                                    this->inspection_op(gone, now_ms()),
                                    this->inspection_op(site, now_ms(), std::nullopt, "", reused),
                                    this->inspection_op(site, now_ms(), std::nullopt, "", reused),
                                    this->positions_op(u, 1, now_ms())});
  ASSERT_TRUE(r) << r.error().message();
  ASSERT_EQ(r->size(), 5u);
  EXPECT_EQ(r->at(0).status, wire::OpStatus::applied);
  EXPECT_EQ(r->at(1).status, wire::OpStatus::rejected);
  EXPECT_EQ(r->at(1).error->code, "conflict");
  EXPECT_EQ(r->at(2).status, wire::OpStatus::applied);
  EXPECT_EQ(r->at(3).status, wire::OpStatus::rejected);
  EXPECT_EQ(r->at(3).error->field, "body.id");
  EXPECT_EQ(r->at(4).status, wire::OpStatus::applied);
  InspectionFilter f;
  f.scope_path = "/";
  auto page = this->store_->inspections(f);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->items.size(), 1u);
  auto track = this->store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 100});
  EXPECT_EQ(track->items.size(), 2u);
}

TYPED_TEST(SyncConformance, ChangeLogIsOrderedAndScoped) {
  std::string liu = "/1/2/21/", shan = "/1/3/22/";
  auto all = this->store_->changes(liu, 0, 1000);
  ASSERT_TRUE(all);
  EXPECT_FALSE(all->has_more);
  std::int64_t last = 0;
  int sites = 0, templates = 0, org_units = 0;
  for (const auto& c : all->changes) {
    EXPECT_GT(c.seq, last);
    last = c.seq;
    if (c.entity == "site") {
      ++sites;
      EXPECT_EQ(c.data.find("东溪"), std::string::npos) << "no site of another village";
    }
    templates += c.entity == "checklist_template";
    org_units += c.entity == "org_unit";
  }
  EXPECT_GE(sites, 20);
  EXPECT_EQ(templates, 3);
  EXPECT_EQ(org_units, 5) << "city, town, village and its two grids";
  auto other = this->store_->changes(shan, 0, 1000);
  ASSERT_TRUE(other);
  for (const auto& c : other->changes) EXPECT_EQ(c.data.find("大田刘村中街"), std::string::npos);

  // Paging: the cursor continues exactly where the page ended.
  auto p1 = this->store_->changes(liu, 0, 10);
  ASSERT_TRUE(p1);
  EXPECT_TRUE(p1->has_more);
  auto p2 = this->store_->changes(liu, p1->cursor, 10);
  ASSERT_TRUE(p2);
  EXPECT_EQ(p2->changes.front().seq, all->changes[10].seq);
}

TYPED_TEST(SyncConformance, APushAppearsInThePullOfItsScopeOnly) {
  auto before = this->store_->changes("/1/2/21/", 0, 1000);
  ASSERT_TRUE(before);
  ASSERT_FALSE(before->has_more);
  this->apply(this->inspection_op(this->village_site(), now_ms(), std::vector<std::string>{}));
  auto after = this->store_->changes("/1/2/21/", before->cursor, 1000);
  ASSERT_TRUE(after);
  ASSERT_EQ(after->changes.size(), 1u);
  EXPECT_EQ(after->changes[0].entity, "hazard");
  EXPECT_GT(after->cursor, before->cursor);
  auto other = this->store_->changes("/1/3/22/", before->cursor, 1000);
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->changes.empty());
  EXPECT_EQ(other->cursor, after->cursor) << "the cursor skips what others changed";
}

TYPED_TEST(SyncConformance, ACursorBeyondTheLogsEndIsAnsweredWithTheEnd) {
  auto end = this->store_->changes("/1/2/21/", 0, 100000);
  ASSERT_TRUE(end);
  auto beyond = this->store_->changes("/1/2/21/", end->cursor + 1000, 10);
  ASSERT_TRUE(beyond);
  EXPECT_TRUE(beyond->changes.empty());
  EXPECT_LT(beyond->cursor, end->cursor + 1000);
}

// apply_ops_async: the same outcomes as apply_ops, handed over once, from the
// writer's thread after the commit (the rows are readable when it runs), with
// the ops given back; after shutdown, shutting_down on the calling thread and
// nothing written.
TYPED_TEST(SyncConformance, AsyncApplyAnswersAfterTheCommitWithTheSameOutcomes) {
  const User& u = this->volunteer();
  auto op = this->positions_op(u, 3, now_ms() - 5000);
  const auto caller = std::this_thread::get_id();
  struct Answer {
    result<std::vector<OpOutcome>> outcomes;
    std::size_t ops_back = 0;
    std::size_t track_points = 0;  // read inside the callback: committed already?
    bool on_caller = false;
  };
  auto apply = [&](std::vector<PreparedOp> ops) {
    std::promise<Answer> p;
    auto f = p.get_future();
    this->store_->apply_ops_async(
        std::move(ops), [&](result<std::vector<OpOutcome>> r, std::vector<PreparedOp> back) {
          Answer a{std::move(r), back.size(), 0, std::this_thread::get_id() == caller};
          auto t = this->store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 100});
          if (t) a.track_points = t->items.size();
          p.set_value(std::move(a));
        });
    return f.get();
  };
  auto first = apply({op});
  ASSERT_TRUE(first.outcomes) << first.outcomes.error().message();
  ASSERT_EQ(first.outcomes->size(), 1u);
  EXPECT_EQ(first.outcomes->at(0).op_id, op.op_id);
  EXPECT_EQ(first.outcomes->at(0).status, wire::OpStatus::applied);
  EXPECT_EQ(first.ops_back, 1u);
  EXPECT_FALSE(first.on_caller) << "answered from the writer, not inline";
  EXPECT_EQ(first.track_points, 3u) << "answered before its commit was visible";

  // Idempotent like apply_ops: the same op again is a duplicate, in either form.
  auto again = apply({op});
  ASSERT_TRUE(again.outcomes);
  EXPECT_EQ(again.outcomes->at(0).status, wire::OpStatus::duplicate);
  EXPECT_EQ(again.outcomes->at(0).received_at, first.outcomes->at(0).received_at);
  auto sync = this->store_->apply_ops({op});
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->at(0).status, wire::OpStatus::duplicate);

  this->store_->shutdown();
  auto late = apply({this->positions_op(u, 1, now_ms())});
  ASSERT_FALSE(late.outcomes);
  EXPECT_EQ(late.outcomes.error(), errc::shutting_down);
  EXPECT_TRUE(late.on_caller);
  EXPECT_EQ(late.ops_back, 1u);
}

}  // namespace
}  // namespace patrol::store::conformance
