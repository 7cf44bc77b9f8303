// LifecycleStore conformance: fresh vs seeded, durability across a reopen,
// shutdown.
#include <atomic>
#include <thread>

#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using LifecycleConformance = StoreConformance<F>;
TYPED_TEST_SUITE(LifecycleConformance, Implementations, ImplementationName);

TYPED_TEST(LifecycleConformance, AFreshStoreIsEmptyASeededOneIsNot) {
  TypeParam fresh_factory;
  auto fresh = fresh_factory.open();
  ASSERT_TRUE(fresh);
  auto empty = fresh->is_empty();
  ASSERT_TRUE(empty);
  EXPECT_TRUE(*empty);
  empty = this->store_->is_empty();
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty);
}

TYPED_TEST(LifecycleConformance, EveryAnsweredWriteSurvivesAReopen) {
  const User& u = this->volunteer();
  constexpr int kThreads = 8, kCalls = 40;
  std::vector<std::thread> ts;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i)
    ts.emplace_back([&, i] {
      for (int k = 0; k < kCalls; ++k) {
        auto r = this->store_->apply_ops({this->positions_op(u, 1, 1'000'000 + i * 1000 + k)});
        if (r && r->at(0).status == wire::OpStatus::applied) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(ok, kThreads * kCalls);
  this->reopen();
  auto empty = this->store_->is_empty();
  ASSERT_TRUE(empty);
  EXPECT_FALSE(*empty) << "seed survived the reopen";
  auto track = this->store_->track({u.id, std::nullopt, std::nullopt, std::nullopt, 1000});
  ASSERT_TRUE(track);
  EXPECT_EQ(track->items.size(), static_cast<std::size_t>(kThreads * kCalls));
}

TYPED_TEST(LifecycleConformance, AfterShutdownCallsFailShuttingDown) {
  ASSERT_TRUE(this->store_->ping());
  this->store_->shutdown();
  this->store_->shutdown();  // idempotent
  auto p = this->store_->ping();
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error(), errc::shutting_down);
  auto w = this->store_->apply_ops({this->positions_op(this->volunteer(), 1, now_ms())});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error(), errc::shutting_down);
  auto r = this->store_->user(this->volunteer().id);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::shutting_down);
}

}  // namespace
}  // namespace patrol::store::conformance
