#include "api/api.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <chrono>
#include <filesystem>

#include "api/context.hpp"
#include "api/handlers.hpp"
#include "api/router.hpp"
#include "auth/password.hpp"
#include "auth/token.hpp"
#include "domain/demo_seed.hpp"
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
  r.add({"HEAD", "/api/v1/attachments/{sha256}", h::head_attachment});
  r.add({"PUT", "/api/v1/attachments/{sha256}", h::put_attachment});
  r.add({"GET", "/api/v1/live", h::live});
  r.add({"GET", "/healthz", h::healthz, false});
  r.add({"GET", "/metrics", h::metrics, false});
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
  explicit ApiImpl(std::unique_ptr<Services> s) : s_(std::move(s)), router_(make_router()) {}
  ~ApiImpl() override { shutdown(); }

  Response handle(const Request& req) override {
    Response res;
    std::string route = "unmatched";
    std::string user;
    try {
      res = dispatch(req, route, user);
    } catch (const ApiError& e) {
      res = error_response(e);
    } catch (const std::exception& e) {
      res = error_response(ApiError(500, "internal", "", "internal error"));
    } catch (...) {
      res = error_response(ApiError(500, "internal", "", "internal error"));
    }
    res.route = route;
    if (res.user_id.empty()) res.user_id = user;
    return res;
  }

  std::optional<domain::Principal> authenticate(std::string_view header) override {
    auto token = auth::token_from_header(header);
    if (!token) return std::nullopt;
    auto hash = auth::hash_token(*token);
    auto s = s_->store().session(hash, now_ms());
    if (!s) return std::nullopt;
    domain::Principal p;
    p.user_id = s->user.id;
    p.name = s->user.name;
    p.role = s->user.role;
    p.org_unit_id = store::id_string(s->user.org_unit_id);
    p.org_path = s->user.org_path;
    p.device_id = s->device_id;
    p.token_hash = hash;
    return p;
  }

  void shutdown() override {
    if (s_ && s_->sqlite) s_->sqlite->shutdown();
  }

 private:
  Response dispatch(const Request& req, std::string& route, std::string& user) {
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
        return handlers::static_file(c);
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
      c.who = authenticate(*h);
      if (!c.who) throw ApiError(401, "unauthorized", "authorization", "invalid or expired token");
      user = c.who->user_id;
    }
    return m.route->handler(c);
  }

  std::unique_ptr<Services> s_;
  Router router_;
};

}  // namespace

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
  if (int fd = ::open((cfg.data_dir / "patrol.db").c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                      0600);
      fd >= 0)
    ::close(fd);
  auto s = std::make_unique<Services>(cfg, metrics);
  try {
    s->files = std::make_unique<AttachmentFiles>(cfg.data_dir / "attachments");
  } catch (const std::filesystem::filesystem_error& e) {
    return boost::system::error_code(e.code());
  }
  store::SqliteStoreOptions so;
  so.db_path = cfg.data_dir / "patrol.db";
  so.read_connections = cfg.read_connections;
  so.metrics = &metrics;
  auto st = store::SqliteStore::open(so);
  if (!st) return st.error();
  s->sqlite = std::move(*st);
  if (cfg.demo) {
    auto empty = s->sqlite->is_empty();
    if (!empty) return empty.error();
    if (*empty) {
      auth::ScryptParams params;
      params.n = std::uint64_t{1} << cfg.scrypt_log2_n;
      auto seed = domain::demo_seed(now_ms(), [&](std::string_view pw) {
        return auth::hash_password(pw, params).value_or("");
      });
      if (auto r = s->sqlite->seed(seed); !r) return r.error();
    }
  }
  return std::unique_ptr<Api>(new ApiImpl(std::move(s)));
}

}  // namespace patrol::api
