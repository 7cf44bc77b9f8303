// What every handler sees: the request, the shared services, path parameters
// and the authenticated caller; plus the small helpers handlers share
// (parameter parsing, JSON responses, store-error mapping). Handlers are plain
// functions `Response f(Ctx&)` that may throw ApiError.
#pragma once

#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/api.hpp"
#include "api/api_error.hpp"
#include "api/attachments.hpp"
#include "api/http_types.hpp"
#include "api/timers.hpp"
#include "auth/kdf_admission.hpp"
#include "auth/login_throttle.hpp"
#include "auth/rate_limiter.hpp"
#include "domain/ops.hpp"
#include "domain/principal.hpp"
#include "store/photo_scope.hpp"
#include "store/sqlite_live_store.hpp"
#include "store/sqlite_store.hpp"

namespace patrol::api {

// Long-lived state shared by all requests. Thread-safe members only.
struct Services {
  Services(ApiConfig c, metrics::Metrics& m)
      : cfg(std::move(c)),
        metrics(m),
        throttle(cfg.max_failed_logins_per_minute),
        kdf(cfg.max_pending_logins),
        user_limiter(cfg.user_rate_per_s, cfg.user_burst) {
    round_policy.grace_ms = cfg.round_grace.count();
  }
  ApiConfig cfg;
  metrics::Metrics& metrics;
  std::unique_ptr<store::SqliteStore> sqlite;
  domain::TemplateCache templates;
  auth::LoginThrottle throttle;
  auth::KdfAdmission kdf;
  auth::RateLimiter user_limiter;  // per user id, after authentication
  std::unique_ptr<AttachmentFiles> files;
  std::unique_ptr<store::PhotoScope> photo_scope;  // which photos a caller may see
  std::unique_ptr<store::SqliteLiveStore> live;    // live feed tails, trackers, photo scope
  std::atomic<ApiObserver*> observer{nullptr};     // the live feed, when installed
  domain::RoundPolicy round_policy;
  domain::HazardPolicy hazard_policy;
  std::unique_ptr<Timers> timers;  // after sqlite: destroyed (stopped) first
  store::Store& store() { return *sqlite; }
};

struct Ctx {
  const Request& req;
  Services& svc;
  std::vector<std::pair<std::string, std::string>> params;  // from the route pattern
  std::optional<domain::Principal> who;

  // The authenticated caller (routes that require auth always have one).
  const domain::Principal& me() const;
  std::string_view param(std::string_view name) const;
};

store::Ms now_ms();

Response json_response(unsigned status, const boost::json::value& v);
// 204 with no body (a DELETE done).
Response no_content();
// {"items":[…],"next":…|null}
boost::json::object page_json(boost::json::array items, const std::optional<std::string>& next);

// Parses the body as JSON into `sp` (default: the heap); 400 malformed_json
// otherwise. A request-scoped monotonic_resource saves thousands of small
// allocations on a large push.
boost::json::value parse_json_body(const Request& req, boost::json::storage_ptr sp = {});

// Query parameters. Each throws ApiError 400 naming the parameter when malformed.
int limit_param(const Request& req);  // default 100, 1..1000
std::optional<std::string> str_param(const Request& req, std::string_view name);
std::optional<std::int64_t> int_param(const Request& req, std::string_view name, std::int64_t min,
                                      std::int64_t max);
std::optional<store::Ms> time_param(const Request& req, std::string_view name);

// Store failures → 503 unavailable / 404 / 409 / 500.
[[noreturn]] void throw_store(const boost::system::error_code& ec);
template <class T>
T must(store::result<T> r) {
  if (!r) throw_store(r.error());
  return std::move(*r);
}
inline void must(store::result<void> r) {
  if (!r) throw_store(r.error());
}

// The org path a list route is limited to: the caller's own, or the
// `org_unit_id` parameter's when given (404 unknown, 403 outside the caller's subtree).
std::string scope_path(const Ctx& c);

}  // namespace patrol::api
