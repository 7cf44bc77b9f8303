#include "api/api.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <thread>

#include "api/context.hpp"
#include "api/handlers.hpp"
#include "api/router.hpp"
#include "api/store_factory.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "domain/demo_seed.hpp"
#include "domain/scope.hpp"
#include "metrics/metrics.hpp"
#include "patrol/wire/field_error.hpp"

namespace patrol::api {
namespace {

namespace h = handlers;

Router make_router() {
  Router r;
  r.add({"POST", "/api/v1/auth/login", h::login, false});
  r.add({"POST", "/api/v1/auth/logout", h::logout});
  r.add({"GET", "/api/v1/me", h::me});
  r.add({"POST", "/api/v1/sync/push", h::push});
  r.add({"GET", "/api/v1/sync/pull", h::pull});
  r.add({"GET", "/api/v1/sites", h::list_sites});
  r.add({"GET", "/api/v1/sites/{id}", h::get_site});
  r.add({"GET", "/api/v1/inspections", h::list_inspections});
  r.add({"GET", "/api/v1/hazards", h::list_hazards});
  r.add({"GET", "/api/v1/positions/latest", h::latest_positions});
  r.add({"GET", "/api/v1/users/{id}/track", h::user_track});
  r.add({"GET", "/api/v1/alerts", h::list_alerts});
  r.add({"POST", "/api/v1/sos/{id}/ack", h::acknowledge_sos});
  r.add({"HEAD", "/api/v1/attachments/{sha256}", h::head_attachment});
  r.add({"GET", "/api/v1/attachments/{sha256}", h::get_attachment});
  r.add({"PUT", "/api/v1/attachments/{sha256}", h::put_attachment});
  r.add({"GET", "/api/v1/live", h::live});
  r.add({"POST", "/api/v1/trackers", h::register_tracker});
  // Tracking apps (Traccar Client / OsmAnd protocol): identified by their
  // registered tracker id, not a bearer token.
  r.add({"GET", "/osmand", h::osmand, false});
  r.add({"POST", "/osmand", h::osmand, false});
  r.add({"GET", "/config.json", h::dashboard_config, false});
  r.add({"GET", "/api/v1/schedules", h::list_schedules});
  r.add({"POST", "/api/v1/schedules", h::create_schedule});
  r.add({"GET", "/api/v1/schedules/{id}", h::get_schedule});
  r.add({"PUT", "/api/v1/schedules/{id}", h::put_schedule});
  r.add({"DELETE", "/api/v1/schedules/{id}", h::delete_schedule});
  r.add({"GET", "/api/v1/rounds", h::list_rounds});
  r.add({"GET", "/api/v1/rounds/{id}", h::get_round});
  r.add({"GET", "/api/v1/hazards/{id}", h::get_hazard});
  r.add({"POST", "/api/v1/hazards/{id}/transitions", h::transition_hazard});
  r.add({"GET", "/api/v1/users", h::list_users});
  r.add({"POST", "/api/v1/users", h::create_user});
  r.add({"GET", "/api/v1/users/{id}", h::get_user});
  r.add({"PUT", "/api/v1/users/{id}", h::put_user});
  r.add({"DELETE", "/api/v1/users/{id}", h::delete_user});
  r.add({"GET", "/api/v1/overview", h::overview});
  r.add({"POST", "/api/v1/sites", h::create_site});
  r.add({"PUT", "/api/v1/sites/{id}", h::put_site});
  r.add({"DELETE", "/api/v1/sites/{id}", h::delete_site});
  r.add({"GET", "/api/v1/teams", h::list_teams});
  r.add({"POST", "/api/v1/teams", h::create_team});
  r.add({"GET", "/api/v1/teams/{id}", h::get_team});
  r.add({"PUT", "/api/v1/teams/{id}", h::put_team});
  r.add({"DELETE", "/api/v1/teams/{id}", h::delete_team});
  r.add({"GET", "/api/v1/exports/inspections.csv", h::export_inspections_csv});
  r.add({"GET", "/api/v1/exports/hazards.csv", h::export_hazards_csv});
  r.add({"GET", "/api/v1/exports/sites.geojson", h::export_sites_geojson});
  r.add({"GET", "/api/v1/exports/hazards.geojson", h::export_hazards_geojson});
  r.add({"GET", "/api/v1/rounds/{id}/track.gpx", h::export_round_gpx});
  r.add({"GET", "/healthz", h::healthz, false});
  r.add({"GET", "/metrics", h::metrics, false});
  // Issue 9: the audit log (city admins) and a person's data (PIPL).
  r.add({"GET", "/api/v1/audit", h::list_audit});
  r.add({"GET", "/api/v1/users/{id}/export", h::export_user});
  r.add({"POST", "/api/v1/users/{id}/erase", h::erase_user});
  return r;
}

Response error_response(const ApiError& e) {
  Response r;
  r.status = e.status;
  r.body = boost::json::serialize(wire::error_body({e.code, e.field, e.message}));
  r.headers = e.headers;
  return r;
}

class ApiImpl final : public Api {
 public:
  explicit ApiImpl(std::unique_ptr<Services> s) : s_(std::move(s)), router_(make_router()) {
    sweeper_ = std::thread([this] { sweep_uploads(); });
  }
  ~ApiImpl() override { shutdown(); }

  Response handle(const Request& req) override {
    std::promise<Answer> answered;
    auto f = answered.get_future();
    handle_async(req, [&answered](Answer a) { answered.set_value(std::move(a)); });
    return f.get()();
  }

  void handle_async(const Request& req, Reply reply) override {
    Response res;
    std::string route = "unmatched";
    std::string user;
    bool deferred = false;
    // Read before dispatching: once a push is queued, `req` may be gone (the
    // writer's reply can resume the connection, which frees it).
    const bool mutating = req.method != "GET" && req.method != "HEAD";
    try {
      deferred = dispatch(req, route, user, res, reply);
    } catch (const ApiError& e) {
      res = error_response(e);
    } catch (const std::exception& e) {
      res = error_response(ApiError(500, "internal", "", "internal error"));
    } catch (...) {
      res = error_response(ApiError(500, "internal", "", "internal error"));
    }
    // Whatever may have ended a session or changed a user (even a request
    // that failed half-way): every connection's cached token check is stale.
    if (mutating && may_revoke(route)) revocations_.fetch_add(1, std::memory_order_acq_rel);
    if (deferred) return;  // the writer replies after the push's commit
    res.route = route;
    if (res.user_id.empty()) res.user_id = user;
    try {
      reply([r = std::move(res)]() mutable { return std::move(r); });
    } catch (...) {
      // reply posts to the connection; only an allocation failure lands here
    }
  }

  bool try_handle_inline(const Request& req, const Reply& reply) override {
    static const std::string kRoute = "/api/v1/sync/push";
    if (req.method != "POST" || req.path != kRoute) return false;
    const auto h = req.header("authorization");
    if (!h || !req.auth_cache) return false;
    const AuthResult* a = cached_auth(*req.auth_cache, *h);
    if (!a) return false;  // the session lookup reads the store: on the workers
    Response res;
    const std::string& user = a->who.user_id;
    try {
      Ctx c{req, *s_, {}, a->who};
      const bool queued = handlers::push_async_nonblocking(
          c,
          [&] {
            std::chrono::seconds retry{1};
            if (!s_->user_limiter.allow(user, std::chrono::steady_clock::now(), retry)) {
              s_->metrics.count_rate_limited();
              throw ApiError(429, "rate_limited", "",
                             "too many requests for this user; retry after " +
                                 std::to_string(retry.count()) + " s",
                             {{"Retry-After", std::to_string(retry.count())}});
            }
          },
          push_reply(kRoute, user, a->who, reply));
      if (!queued) return false;
      return true;
    } catch (const ApiError& e) {
      res = error_response(e);
    } catch (...) {
      res = error_response(ApiError(500, "internal", "", "internal error"));
    }
    res.route = kRoute;
    if (res.user_id.empty()) res.user_id = user;
    try {
      reply([r = std::move(res)]() mutable { return std::move(r); });
    } catch (...) {
      // reply posts to the connection; only an allocation failure lands here
    }
    return true;
  }

  AuthResult authenticate(std::string_view header) override {
    AuthResult out;
    auto token = auth::token_from_header(header);
    if (!token) return out;
    auto hash = auth::hash_token(*token);
    auto s = s_->store().session(hash, now_ms());
    if (!s) {
      // Only "no such session" means the token is bad. Anything else is the
      // store failing, which says nothing about the token.
      if (s.error() != store::errc::not_found) out.status = AuthResult::Status::unavailable;
      return out;
    }
    domain::Principal& p = out.who;
    p.user_id = s->user.id;
    p.name = s->user.name;
    p.role = s->user.role;
    p.org_unit_id = store::id_string(s->user.org_unit_id);
    p.org_path = s->user.org_path;
    p.device_id = s->device_id;
    p.token_hash = hash;
    p.expires_at_ms = s->expires_at;
    out.status =
        domain::is_known_role(p.role) ? AuthResult::Status::ok : AuthResult::Status::forbidden;
    return out;
  }

  void shutdown() override {
    {
      std::lock_guard lock(sweep_mu_);
      stop_sweep_ = true;
    }
    sweep_cv_.notify_all();
    if (sweeper_.joinable() && sweeper_.get_id() != std::this_thread::get_id()) sweeper_.join();
    if (s_ && s_->timers) s_->timers->stop();  // before the store it writes to
    if (s_ && s_->db) s_->db->shutdown();
  }

  store::Store& store() override { return s_->store(); }
  store::LiveStore& live_store() override { return *s_->live; }
  void set_observer(ApiObserver* o) override { s_->observer.store(o); }

 private:
  // Routes whose non-GET requests can end a session or change what a token
  // stands for.
  static bool may_revoke(std::string_view route) {
    return route.rfind("/api/v1/auth/", 0) == 0 || route.rfind("/api/v1/users", 0) == 0;
  }

  // The connection's cached token check when it may be used (api.hpp
  // AuthCache), else nullptr. Reads no store.
  const AuthResult* cached_auth(const AuthCache& cache, std::string_view header) const {
    const auto generation = revocations_.load(std::memory_order_acquire);
    if (cache.valid && cache.generation == generation && cache.header == header &&
        std::chrono::steady_clock::now() - cache.checked_at < AuthCache::kAuthCacheFor &&
        (cache.result.who.expires_at_ms == 0 || cache.result.who.expires_at_ms > now_ms()))
      return &cache.result;
    return nullptr;
  }

  // What a push's writer reply becomes on the connection: the answer built
  // there, the observer told of the device, the route and user for the log.
  std::function<void(Answer)> push_reply(const std::string& route, const std::string& user,
                                         const domain::Principal& who, const Reply& reply) {
    return [this, route, user, who, reply](Answer inner) {
      reply([this, route, user, who, inner = std::move(inner)] {
        Response r;
        try {
          r = inner();
        } catch (const ApiError& e) {
          r = error_response(e);
        } catch (...) {
          r = error_response(ApiError(500, "internal", "", "internal error"));
        }
        if (auto* obs = s_->observer.load(); obs && r.status < 300)
          obs->device_active(who, now_ms());
        r.route = route;
        if (r.user_id.empty()) r.user_id = user;
        return r;
      });
    };
  }

  // authenticate(), through the connection's AuthCache on the phones' hot
  // routes (api.hpp says when a cached check is used).
  AuthResult authenticate_cached(const Request& req, std::string_view header,
                                 std::string_view route) {
    AuthCache* cache = req.auth_cache;
    if (!cache || (route != "/api/v1/sync/push" && route != "/api/v1/sync/pull"))
      return authenticate(header);
    const auto now = std::chrono::steady_clock::now();
    const auto generation = revocations_.load(std::memory_order_acquire);
    if (const AuthResult* hit = cached_auth(*cache, header)) return *hit;
    // The counter was read before the lookup: a logout committed meanwhile
    // has bumped it after, so the entry is stale at its next use.
    auto a = authenticate(header);
    cache->valid = a.ok();
    if (a.ok()) {
      cache->header.assign(header);
      cache->result = a;
      cache->checked_at = now;
      cache->generation = generation;
    }
    return a;
  }

  // Serves `req` into `res`, or (sync/push with its ops queued) returns true:
  // `reply` then gets the answer from the writer after the commit.
  bool dispatch(const Request& req, std::string& route, std::string& user, Response& res,
                const Reply& reply) {
    const std::string& path = req.path;
    bool api = path.rfind("/api/", 0) == 0 || path == "/api";
    Match m = router_.match(req.method, path);
    if (!m.route) {
      if (!m.allowed.empty()) {
        route = "unmatched";
        std::string allow;
        for (const auto& a : m.allowed) allow += (allow.empty() ? "" : ", ") + a;
        throw ApiError(405, "method_not_allowed", "", "method not allowed for this route",
                       {{"Allow", allow}});
      }
      if (!api && path != "/healthz" && path != "/metrics" &&
          (req.method == "GET" || req.method == "HEAD")) {
        route = "/";
        Ctx c{req, *s_, {}, std::nullopt};
        res = handlers::static_file(c);
        return false;
      }
      if (!api && path != "/healthz" && path != "/metrics")
        throw ApiError(405, "method_not_allowed", "", "method not allowed",
                       {{"Allow", "GET, HEAD"}});
      throw ApiError(404, "not_found", "", "no such route");
    }
    route = m.route->pattern;
    Ctx c{req, *s_, std::move(m.params), std::nullopt};
    if (m.route->needs_auth) {
      auto h = req.header("authorization");
      if (!h) throw ApiError(401, "unauthorized", "authorization", "missing bearer token");
      auto a = authenticate_cached(req, *h, route);
      if (a.status == AuthResult::Status::unavailable)
        throw ApiError(503, "unavailable", "", "storage temporarily unavailable, retry later",
                       {{"Retry-After", "1"}});
      if (a.status == AuthResult::Status::forbidden)
        throw ApiError(403, "forbidden", "role", "this account's role is not recognised");
      if (!a.ok()) throw ApiError(401, "unauthorized", "authorization", "invalid or expired token");
      c.who = std::move(a.who);
      user = c.who->user_id;
      std::chrono::seconds retry{1};
      if (!s_->user_limiter.allow(user, std::chrono::steady_clock::now(), retry)) {
        s_->metrics.count_rate_limited();
        throw ApiError(
            429, "rate_limited", "",
            "too many requests for this user; retry after " + std::to_string(retry.count()) + " s",
            {{"Retry-After", std::to_string(retry.count())}});
      }
    }
    if (route == "/api/v1/sync/push") {
      // Queued on the writer; the answer (and the observer's call) follow
      // its commit, where the response is sent.
      handlers::push_async(c, push_reply(route, user, *c.who, reply));
      return true;
    }
    res = m.route->handler(c);
    if (auto* obs = s_->observer.load(); obs && c.who && res.status < 300) {
      // What the live feed needs to know of requests (never their data: its
      // events come from the committed rows).
      if (route == "/api/v1/sync/pull")
        obs->device_active(*c.who, now_ms());
      else if (route == "/api/v1/auth/logout")
        obs->session_ended(c.who->token_hash);
    }
    return false;
  }

  // Background: removes partial uploads (and upload markers) nobody touched
  // for partial_upload_ttl, checking a few times per TTL (at most every 10 min).
  void sweep_uploads() {
    const auto ttl = s_->cfg.partial_upload_ttl;
    const auto every = std::clamp<std::chrono::milliseconds>(
        std::chrono::duration_cast<std::chrono::milliseconds>(ttl) / 4,
        std::chrono::milliseconds(200), std::chrono::minutes(10));
    std::unique_lock lock(sweep_mu_);
    while (!sweep_cv_.wait_for(lock, every, [this] { return stop_sweep_; })) {
      lock.unlock();
      s_->files->sweep(ttl);
      lock.lock();
    }
  }

  std::unique_ptr<Services> s_;
  Router router_;
  // Bumped after every request that may end a session or change a user
  // (may_revoke): a connection's AuthCache from before is not used again.
  std::atomic<std::uint64_t> revocations_{0};
  std::mutex sweep_mu_;
  std::condition_variable sweep_cv_;
  bool stop_sweep_ = false;  // guarded by sweep_mu_
  std::thread sweeper_;
};

}  // namespace

std::vector<RouteInfo> route_table() {
  std::vector<RouteInfo> out;
  const Router router = make_router();  // kept alive: routes() refers into it
  for (const auto& r : router.routes()) out.push_back({r.method, r.pattern, r.needs_auth});
  return out;
}

boost::system::result<std::unique_ptr<Api>> Api::open(const ApiConfig& cfg,
                                                      metrics::Metrics& metrics) {
  std::error_code fec;
  namespace fs = std::filesystem;
  // Reports, positions, photos and the TLS key live here: owner only. A
  // directory we create is made 0700; an existing one is left as configured.
  if (fs::create_directories(cfg.data_dir, fec) && !fec)
    fs::permissions(cfg.data_dir, fs::perms::owner_all, fs::perm_options::replace, fec);
  if (fec) return boost::system::error_code(fec);
  // A new database file is created 0600 before SQLite opens it (SQLite gives
  // its -wal and -shm files the database file's mode).
  if (cfg.database.empty()) {
    if (int fd = ::open((cfg.data_dir / "patrol.db").c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        fd >= 0)
      ::close(fd);
  }
  auto s = std::make_unique<Services>(cfg, metrics);
  try {
    s->files = std::make_unique<AttachmentFiles>(cfg.data_dir / "attachments");
  } catch (const std::filesystem::filesystem_error& e) {
    return boost::system::error_code(e.code());
  }
  // The live feed tails what each group commit wrote (the observer is
  // installed later by whoever runs the feed); on PostgreSQL also what other
  // nodes committed (LISTEN/NOTIFY).
  auto st = open_store(cfg, metrics, [svc = s.get()] {
    if (auto* o = svc->observer.load()) o->committed();
  });
  if (!st) return st.error();
  s->db = std::move(st->store);
  s->live_owner = std::move(st->live_owner);
  s->live = st->live;
  s->trackers = st->trackers;
  s->photo_named_in_scope = std::move(st->photo_named_in_scope);
  if (cfg.demo) {
    auto empty = s->db->is_empty();
    if (!empty) return empty.error();
    if (*empty) {
      auth::ScryptParams params;
      params.n = std::uint64_t{1} << cfg.scrypt_log2_n;
      auto seed = domain::demo_seed(now_ms(), [&](std::string_view pw) {
        return auth::hash_password(pw, params).value_or("");
      });
      if (auto r = s->db->seed(seed); !r) return r.error();
    }
  }
  TimerConfig tc;
  tc.rounds = s->round_policy;
  tc.hazards = s->hazard_policy;
  tc.horizon_ms = cfg.round_horizon.count();
  tc.track_retention_ms = cfg.track_retention.count();
  s->timers = std::make_unique<Timers>(*s->db, tc);
  // Plan the horizon before serving, so a fresh demo already has its rounds.
  s->timers->run_once(now_ms(), true);
  if (cfg.timers) s->timers->start();
  return std::unique_ptr<Api>(new ApiImpl(std::move(s)));
}

}  // namespace patrol::api
