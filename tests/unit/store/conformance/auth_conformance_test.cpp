// AuthStore conformance: credentials, users, sessions.
#include "conformance/fixture.hpp"

namespace patrol::store::conformance {
namespace {

template <class F>
using AuthConformance = StoreConformance<F>;
TYPED_TEST_SUITE(AuthConformance, Implementations, ImplementationName);

TYPED_TEST(AuthConformance, CredentialsByPhone) {
  const User& u = this->volunteer();
  auto c = this->store_->credentials_by_phone(u.phone);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user.id, u.id);
  EXPECT_EQ(c->user.role, "volunteer");
  EXPECT_EQ(c->user.org_path, u.org_path);
  EXPECT_EQ(c->password_hash, "scrypt$x");
  auto none = this->store_->credentials_by_phone("10000000000");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::not_found);
}

TYPED_TEST(AuthConformance, UserById) {
  const User& u = this->volunteer();
  auto got = this->store_->user(u.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->phone, u.phone);
  EXPECT_EQ(got->name, u.name);
  EXPECT_EQ(got->org_unit_id, u.org_unit_id);
  auto none = this->store_->user("no-such-user");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), errc::not_found);
}

TYPED_TEST(AuthConformance, SessionLivesUntilItExpiresOrIsDeleted) {
  const User& u = this->volunteer();
  Ms t = now_ms();
  ASSERT_TRUE(this->store_->create_session({"hash-1", u.id, "dev-1", t, t + 60'000}));
  auto s = this->store_->session("hash-1", t + 1);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user.id, u.id);
  EXPECT_EQ(s->device_id, "dev-1");
  EXPECT_EQ(s->expires_at, t + 60'000);
  auto expired = this->store_->session("hash-1", t + 60'000);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error(), errc::not_found);
  ASSERT_TRUE(this->store_->delete_session("hash-1"));
  auto gone = this->store_->session("hash-1", t + 1);
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error(), errc::not_found);
  EXPECT_TRUE(this->store_->delete_session("hash-1")) << "deleting twice is fine";
}

TYPED_TEST(AuthConformance, ASessionForAnUnknownUserConflicts) {
  Ms t = now_ms();
  auto r = this->store_->create_session({"hash-2", "no-such-user", "dev", t, t + 1000});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), errc::conflict);
}

TYPED_TEST(AuthConformance, ANewSessionPurgesTheUsersExpiredOnes) {
  const User& u = this->volunteer();
  Ms t = now_ms();
  ASSERT_TRUE(this->store_->create_session({"old", u.id, "dev", t - 10'000, t - 5'000}));
  ASSERT_TRUE(this->store_->create_session({"new", u.id, "dev", t, t + 5'000}));
  // The expired one is gone even for a caller asking "as of" an earlier time.
  auto old = this->store_->session("old", t - 6'000);
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error(), errc::not_found);
  EXPECT_TRUE(this->store_->session("new", t));
}

}  // namespace
}  // namespace patrol::store::conformance
