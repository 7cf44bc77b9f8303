#include "auth/kdf_admission.hpp"

#include <gtest/gtest.h>

#include <optional>

namespace patrol::auth {
namespace {

TEST(KdfAdmission, AdmitsUpToCapacityAndReleasesOnDestruction) {
  KdfAdmission a(2);
  auto t1 = a.try_enter();
  auto t2 = a.try_enter();
  ASSERT_TRUE(t1);
  ASSERT_TRUE(t2);
  EXPECT_FALSE(a.try_enter()) << "full: refused at once, never waits";
  EXPECT_EQ(a.in_use(), 2);
  t1.reset();
  EXPECT_EQ(a.in_use(), 1);
  auto t3 = a.try_enter();
  EXPECT_TRUE(t3);
  std::optional<KdfAdmission::Ticket> moved(std::move(*t3));
  t3.reset();  // the moved-from ticket releases nothing
  EXPECT_EQ(a.in_use(), 2);
}

TEST(KdfAdmission, ZeroCapacityAdmitsNobody) {
  KdfAdmission a(0);
  EXPECT_FALSE(a.try_enter());
}

}  // namespace
}  // namespace patrol::auth
