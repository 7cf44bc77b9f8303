// HazardWorkflowStore conformance: one hazard, its history, the decider run
// on the current row, and the timer's work list.
#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using HazardWorkflowConformance = StoreConformance<F>;
TYPED_TEST_SUITE(HazardWorkflowConformance, Implementations, ImplementationName);

TYPED_TEST(HazardWorkflowConformance, ChangeWritesStateHistoryAndChangeLog) {
  const Site& site = this->village_site();
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{}));
  auto hz = this->hazards_at(site);
  ASSERT_EQ(hz.size(), 1u);
  auto h = this->store_->hazard(hz[0].id);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->state, "open");
  EXPECT_EQ(h->escalation, "village");
  EXPECT_FALSE(h->deadline);
  EXPECT_TRUE(this->store_->hazard_history(h->id)->empty());

  auto before = this->store_->changes("/1/2/21/", 0, 100000);
  ASSERT_TRUE(before);
  Ms at = now_ms();
  auto stored = this->store_->change_hazard(h->id, [&](const Hazard& cur) {
    HazardChange c{cur, HazardHistoryEntry{at, "u1", cur.state, "assigned", "go fix", {}}};
    c.next.state = "assigned";
    c.next.assignee_id = "u2";
    c.next.deadline = at + 1000;
    return std::optional<HazardChange>(c);
  });
  ASSERT_TRUE(stored);
  ASSERT_TRUE(*stored);
  EXPECT_EQ((*stored)->state, "assigned");
  auto back = this->store_->hazard(h->id);
  EXPECT_EQ(back->assignee_id, std::optional<std::string>("u2"));
  EXPECT_EQ(back->deadline, std::optional<Ms>(at + 1000));
  auto hist = this->store_->hazard_history(h->id);
  ASSERT_TRUE(hist);
  ASSERT_EQ(hist->size(), 1u);
  EXPECT_EQ(hist->at(0).from, "open");
  EXPECT_EQ(hist->at(0).to, "assigned");
  EXPECT_EQ(hist->at(0).note, "go fix");
  auto after = this->store_->changes("/1/2/21/", before->cursor, 100000);
  ASSERT_TRUE(after);
  ASSERT_FALSE(after->changes.empty());
  EXPECT_EQ(after->changes.back().entity, "hazard");

  // A refusal writes nothing.
  auto refused = this->store_->change_hazard(
      h->id, [](const Hazard&) { return std::optional<HazardChange>(); });
  ASSERT_TRUE(refused);
  EXPECT_FALSE(*refused);
  EXPECT_EQ(this->store_->hazard_history(h->id)->size(), 1u);
  EXPECT_EQ(this->store_
                ->change_hazard("nope", [](const Hazard&) { return std::optional<HazardChange>(); })
                .error(),
            errc::not_found);
}

TYPED_TEST(HazardWorkflowConformance, TimerWorkListHasUndatedAndDueHazards) {
  const Site& site = this->village_site();
  this->apply(this->inspection_op(site, now_ms(), std::vector<std::string>{}));
  auto id = this->hazards_at(site)[0].id;
  Ms now = now_ms();
  auto due = this->store_->hazards_due(now, 100);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u) << "no deadline yet: the timer sets one";
  auto set = this->store_->change_hazards({id}, [&](const Hazard& cur) {
    HazardChange c{cur, std::nullopt};
    c.next.deadline = now + 60'000;
    c.next.next_check_at = now + 60'001;
    return std::optional<HazardChange>(c);
  });
  ASSERT_TRUE(set);
  EXPECT_EQ(set->size(), 1u);
  EXPECT_TRUE(this->store_->hazards_due(now, 100)->empty());
  EXPECT_EQ(this->store_->hazards_due(now + 60'001, 100)->size(), 1u);
  EXPECT_EQ(*this->store_->earliest_hazard_deadline(), std::optional<Ms>(now + 60'001));
  // Nothing more to escalate: off the list for good.
  ASSERT_TRUE(this->store_->change_hazards({id}, [&](const Hazard& cur) {
    HazardChange c{cur, std::nullopt};
    c.next.escalation = "city";
    c.next.overdue = true;
    c.next.next_check_at.reset();
    return std::optional<HazardChange>(c);
  }));
  EXPECT_TRUE(this->store_->hazards_due(now + 600'000'000, 100)->empty());
  EXPECT_TRUE(this->store_->hazard(id)->overdue);
}

}  // namespace
}  // namespace patrol::store::conformance
