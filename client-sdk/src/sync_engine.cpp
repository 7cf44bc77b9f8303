#include "sync_engine.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <deque>
#include <filesystem>
#include <fstream>
#include <random>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "patrol/wire/messages.hpp"
#include "patrol/wire/time.hpp"

namespace patrol::sdk {
namespace {

using namespace std::chrono_literals;

// While an SOS waits in the outbox, a failed sync is retried at least this often.
constexpr std::chrono::milliseconds kSosRetry{250};

std::uint64_t seed_or_random(std::uint64_t s) {
  if (s != 0) return s;
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

std::string json_string(std::string_view s) {
  return boost::json::serialize(boost::json::value(boost::json::string_view(s.data(), s.size())));
}

// The server's {"error":{"code","message"}} if the body has one.
std::string error_detail(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return {};
  auto fe = wire::field_error_from_json(*e);
  std::string s = fe.code;
  if (!fe.message.empty()) s += (s.empty() ? "" : ": ") + fe.message;
  if (!fe.field.empty()) s += " (" + fe.field + ")";
  return s;
}

Result<boost::json::value> parse_json(const std::string& body, std::string_view what) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec)
    return make_error(ErrorCode::protocol,
                      std::string(what) + ": server sent a body that is not JSON (" +
                          std::to_string(body.size()) + " bytes)",
                      true);
  return v;
}

// A failed request made of one op alone, the server answering 500 each time:
// after this many the op is set aside as a dead letter so the ops behind it go.
constexpr std::int64_t kMaxOpFailures = 3;

// Statuses a request's content can cause (as opposed to the server being down,
// busy or behind a broken proxy: 502/503/504/408/429, which say nothing about
// the ops and never set one aside).
bool content_status(int s) {
  return s == 400 || s == 413 || s == 422 || s == 500;
}

// The server's error field, if its body has one.
std::string error_field(const std::string& body) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return {};
  const auto* e = v.as_object().if_contains("error");
  if (!e || !e->is_object()) return {};
  return wire::field_error_from_json(*e).field;
}

// The server's error code, else "http_<status>".
std::string error_code(const HttpResponse& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.body, ec);
  if (!ec && v.is_object())
    if (const auto* e = v.as_object().if_contains("error"); e && e->is_object())
      if (auto fe = wire::field_error_from_json(*e); !fe.code.empty()) return fe.code;
  return "http_" + std::to_string(r.status);
}

// The server refuses a push whose clock_offset_ms lies beyond ±10 years
// (wire::kMaxClockOffsetMs); a device clock further off than that is still
// corrected as far as the server allows, and never makes the push fail.
std::int64_t bounded_offset(std::int64_t ms) {
  return std::clamp(ms, -wire::kMaxClockOffsetMs, wire::kMaxClockOffsetMs);
}

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

SyncEngine::SyncEngine(EngineConfig cfg, DeviceDb db, std::unique_ptr<Transport> transport,
                       EmitFn emit)
    : cfg_(std::move(cfg)),
      emit_(std::move(emit)),
      db_(std::move(db)),
      transport_(std::move(transport)),
      backoff_(cfg_.backoff_initial, cfg_.backoff_max, seed_or_random(cfg_.jitter_seed)) {}

SyncEngine::~SyncEngine() {
  stop();
}

void SyncEngine::start() {
  std::lock_guard lk(state_mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  wake_ = true;  // a first attempt right away: there may be a backlog from last time
  full_ = true;
  thread_ = std::thread([this] { run(); });
}

void SyncEngine::stop() {
  {
    std::lock_guard lk(state_mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (transport_) transport_->cancel();
  if (thread_.joinable()) thread_.join();
}

void SyncEngine::notify_work(bool urgent) {
  {
    std::lock_guard lk(state_mu_);
    if (urgent)
      backoff_.reset();
    else if (backoff_.failures() > 0)
      return;  // the scheduled retry will pick it up
    wake_ = true;
  }
  cv_.notify_all();
}

void SyncEngine::wake_now() {
  {
    std::lock_guard lk(state_mu_);
    backoff_.reset();
    wake_ = true;
    full_ = true;
  }
  cv_.notify_all();
}

void SyncEngine::run() {
  using clock = std::chrono::steady_clock;
  // A plain flag + time point rather than std::optional: g++ 12 at -O2 warns
  // (maybe-uninitialized) through optional<time_point> in this loop.
  bool timed = false;  // false: only a nudge wakes us
  clock::time_point next{};
  std::unique_lock lk(state_mu_);
  while (!stop_) {
    if (!wake_) {
      if (timed)
        cv_.wait_until(lk, next, [&] { return stop_ || wake_; });
      else
        cv_.wait(lk, [&] { return stop_ || wake_; });
      if (stop_) break;
      if (!wake_ && timed && clock::now() < next) continue;  // spurious
    }
    // New work alone only needs a push; a timer (refresh, retry) or an
    // explicit request also pulls.
    const bool full = !wake_ || full_;
    wake_ = false;
    full_ = false;
    lk.unlock();
    auto r = run_sync({}, full);
    lk.lock();
    if (r) {
      backoff_.reset();
      next = clock::now() + cfg_.refresh_interval;
      timed = true;
    } else if (auto wait = retry_after(r.error())) {
      next = clock::now() + *wait;
      timed = true;
    } else {
      timed = false;
    }
  }
}

std::optional<std::chrono::milliseconds> SyncEngine::retry_after(const Error& e) {
  // Waiting for set_online(true) / login: retrying cannot help.
  if (e.code == ErrorCode::offline || e.code == ErrorCode::not_logged_in) return std::nullopt;
  // Neither can it after a non-retryable failure (a certificate that does not
  // match, the server refusing every push): the app is told (sync_failed with
  // retryable=false) and its next sync_now/set_online/login/enqueue tries again.
  if (!e.retryable) return std::nullopt;
  auto wait = backoff_.next();
  // An SOS waiting: try again within a quarter second however long the outage
  // was, so it leaves as soon as the network is back.
  if (sos_pending_.load()) wait = std::min<std::chrono::milliseconds>(wait, kSosRetry);
  return wait;
}

bool SyncEngine::is_online() {
  auto v = db_.get(keys::kOnline);
  return !v || !*v || **v != "0";
}

Error SyncEngine::session_expired() {
  (void)db_.set(keys::kLoginRequired, "1");
  emit_({EventType::login_required,
         {},
         "not_logged_in",
         "the server refused the session; log in again (queued reports are kept)",
         0,
         false});
  return make_error(ErrorCode::not_logged_in, "session expired or revoked: log in again");
}

Error SyncEngine::http_error(const HttpResponse& r, std::string_view what) {
  std::string detail = error_detail(r.body);
  const bool retryable = r.status >= 500 || r.status == 429 || r.status == 408;
  return make_error(ErrorCode::server,
                    std::string(what) + ": server answered HTTP " + std::to_string(r.status) +
                        (detail.empty() ? "" : " (" + detail + ")"),
                    retryable);
}

Result<HttpResponse> SyncEngine::send_with_auth(HttpRequest& req, const std::string& token) {
  if (!transport_)
    return make_error(ErrorCode::invalid_argument,
                      "no server configured (server_url or transport)");
  req.timeout = cfg_.request_timeout;
  if (!token.empty()) req.headers.emplace_back("Authorization", "Bearer " + token);
  return transport_->send(req);
}

Result<HttpResponse> SyncEngine::exchange(HttpRequest req, const std::string& token) {
  auto r = send_with_auth(req, token);
  if (!r) return r;
  if (r->status == 401) return session_expired();
  return r;
}

Result<SessionInfo> SyncEngine::login(const std::string& phone, const std::string& password) {
  std::lock_guard lk(cycle_mu_);
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/auth/login";
  req.headers.emplace_back("Content-Type", "application/json");
  req.body =
      boost::json::serialize(wire::to_json(wire::LoginRequest{phone, password, cfg_.device_id}));
  req.timeout = cfg_.request_timeout;
  if (!transport_)
    return make_error(ErrorCode::invalid_argument,
                      "no server configured (server_url or transport)");
  auto r = transport_->send(req);
  if (!r) return std::move(r).error();
  if (r->status == 401 || r->status == 403)
    return make_error(ErrorCode::auth_failed, "login refused: wrong phone or password");
  if (r->status != 200 && r->status != 201) return http_error(*r, "login");
  auto v = parse_json(r->body, "login");
  if (!v) return std::move(v).error();
  auto lr = wire::decode_login_response(*v);
  if (!lr)
    return make_error(ErrorCode::protocol, "login: unexpected answer (" + lr.error().field + ": " +
                                               lr.error().message + ")");
  SessionInfo s{lr->token,     lr->expires_at, lr->user.id,
                lr->user.name, lr->user.role,  lr->user.org_unit_id};
  return s;
}

void SyncEngine::logout_remote(const std::string& token) {
  std::lock_guard lk(cycle_mu_);
  if (!transport_ || token.empty()) return;
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/auth/logout";
  req.headers.emplace_back("Content-Type", "application/json");
  req.headers.emplace_back("Authorization", "Bearer " + token);
  req.body = "{}";
  req.timeout = std::min<std::chrono::milliseconds>(cfg_.request_timeout, 5s);
  (void)transport_->send(req);
}

Result<SyncSummary> SyncEngine::sync(const std::function<void(const SyncProgress&)>& progress) {
  return run_sync(progress, true);
}

Result<SyncSummary> SyncEngine::run_sync(const std::function<void(const SyncProgress&)>& progress,
                                         bool with_pull) {
  std::lock_guard lk(cycle_mu_);
  emit_({EventType::sync_started, {}, {}, {}, 0, false});
  auto r = cycle(progress, with_pull);
  db_.checkpoint();
  sos_pending_ = !r && db_.has_pending(wire::kOpSosRaise);
  if (r) {
    (void)db_.set_many({{std::string(keys::kLastSyncAt), wire::format_rfc3339(wire::now_millis())}},
                       {std::string(keys::kLastError)});
    emit_({EventType::sync_finished, {}, {}, {}, r->pushed, false});
  } else {
    const auto& e = r.error();
    (void)db_.set(keys::kLastError, e.message);
    emit_({EventType::sync_failed, {}, to_string(e.code), e.message, 0, e.retryable});
  }
  return r;
}

Result<std::int64_t> SyncEngine::pull() {
  std::lock_guard lk(cycle_mu_);
  if (!is_online()) return make_error(ErrorCode::offline, "device is offline");
  auto token = db_.get(keys::kToken);
  if (!token) return std::move(token).error();
  if (!*token) return make_error(ErrorCode::not_logged_in, "not logged in");
  return pull_all(**token);
}

Result<SyncSummary> SyncEngine::cycle(const std::function<void(const SyncProgress&)>& progress,
                                      bool with_pull) {
  SyncSummary sum;
  if (!is_online()) return make_error(ErrorCode::offline, "device is offline: nothing is sent");
  auto token = db_.get(keys::kToken);
  if (!token) return std::move(token).error();
  auto relog = db_.get(keys::kLoginRequired);
  if (!relog) return std::move(relog).error();
  if (!*token || (*relog && **relog == "1"))
    return make_error(ErrorCode::not_logged_in, "not logged in: queued reports wait for a login");
  // An expired token is known without asking the server: past its expiry by
  // the device clock and by the server clock as estimated (both, so that
  // neither a wrong device clock nor a wrong offset can expire a good token).
  if (auto exp = db_.get(keys::kTokenExpiresAt); exp && *exp) {
    if (auto t = wire::parse_rfc3339(**exp)) {
      const std::int64_t expires = t->instant.time_since_epoch().count();
      const std::int64_t device_now = wire::now_millis().time_since_epoch().count();
      const std::int64_t server_now = device_now + stored_clock_offset().value_or(0);
      if (expires <= device_now && expires <= server_now) return session_expired();
    }
  }
  if (!in_flight_reset_) {
    // Marks left by a process that died mid-exchange: those ops are simply
    // queued again (the server deduplicates by op id).
    if (auto st = db_.clear_all_in_flight(); !st) return std::move(st).error();
    in_flight_reset_ = true;
  }
  if (auto st = push_all(**token, sum, progress); !st) return std::move(st).error();
  if (auto st = upload_photos(**token, sum); !st) return std::move(st).error();
  if (!with_pull) return sum;
  auto pulled = pull_all(**token);
  if (!pulled) return std::move(pulled).error();
  sum.pulled = *pulled;
  return sum;
}

// One push answer's verdicts, waiting to be applied to the outbox.
struct SyncEngine::PendingAnswer {
  std::vector<OpVerdict> verdicts;
  std::string server_time;
  std::vector<std::int64_t> seqs;  // the batch, sorted
  std::vector<std::pair<std::string, std::string>> settings;
};

Status SyncEngine::apply_answer(PendingAnswer&& a, SyncSummary& sum, SyncProgress& prog,
                                const std::function<void(const SyncProgress&)>& progress,
                                const std::function<void()>& meanwhile) {
  // Pipelining: the database work runs on a helper thread while `meanwhile`
  // (the next batch's exchange) runs on this one. The transport is thus only
  // ever used by the engine's thread (an app's own transport sees no new
  // thread), and the device database by one thread at a time: the helper has
  // it from its start to the join, and this thread does not touch it then.
  Result<ApplyOutcome> applied = make_error(ErrorCode::internal, "apply did not run");
  if (meanwhile) {
    std::thread helper([&]() noexcept {
      try {
        applied = db_.apply_verdicts(a.verdicts, a.server_time, a.seqs, a.settings);
      } catch (const std::exception& e) {
        applied = make_error(ErrorCode::internal, std::string("apply: ") + e.what());
      }
    });
    try {
      meanwhile();
    } catch (...) {
      helper.join();  // never leave a joinable thread behind an exception
      throw;
    }
    helper.join();
  } else {
    applied = db_.apply_verdicts(a.verdicts, a.server_time, a.seqs, a.settings);
  }
  in_flight_ -= static_cast<std::int64_t>(a.seqs.size());
  if (!applied) return std::move(applied).error();
  sum.pushed += applied->done;
  sum.rejected += applied->rejected;
  for (const auto& dl : applied->new_dead_letters)
    emit_({EventType::op_rejected, dl.op_id, dl.code, dl.message, 0, false});
  for (const auto& [report_id, received_at] : applied->received_reports)
    emit_({EventType::report_received, report_id, {}, received_at, 0, false});
  prog.pushed += applied->done + applied->rejected;
  prog.total = std::max(prog.total, prog.pushed);
  if (progress) progress(prog);
  return {};
}

// What one push_all carries from batch to batch (both loops share it).
struct SyncEngine::PushState {
  SyncProgress prog;
  std::size_t max_ops = 500;
  std::size_t max_bytes = 1024 * 1024;
  // A flag + value rather than std::optional: g++ 12 at -O2 warns
  // (maybe-uninitialized) through optional<int64_t> in these loops.
  bool has_offset = false;
  std::int64_t clock_offset = 0;
};

// One push request on its way (push_concurrent): the batch, the request and,
// once its sender thread is joined, the answer.
struct SyncEngine::Flight {
  std::vector<OutboxOp> batch;
  std::vector<std::int64_t> seqs;  // the batch, in send order
  HttpRequest req;
  bool ordered = false;  // holds an op whose effect depends on order: sent alone
  Result<HttpResponse> r = make_error(ErrorCode::internal, "push not sent");
  std::chrono::system_clock::time_point t0, t1;
  std::thread sender;
  Flight() = default;
  Flight(const Flight&) = delete;
  Flight& operator=(const Flight&) = delete;
  ~Flight() {
    if (sender.joinable()) sender.join();
  }
};

namespace {
// Ops whose outcome on the server does not depend on what was applied before
// them: reports (a hazard sighting is merged by its observed time, whatever
// the arrival order), track points (the latest position is the newest by
// time) and SOS. Round and hazard workflow ops (and any type this SDK does
// not know) judge the state their predecessors left, so they never travel
// beside another batch.
bool commutative(std::string_view type) {
  return type == wire::kOpInspectionCreate || type == wire::kOpPositionAppend ||
         type == wire::kOpSosRaise;
}
}  // namespace

HttpRequest SyncEngine::push_request(const std::vector<OutboxOp>& batch, const PushState& ps) {
  std::string body;
  body.reserve(ps.max_bytes + 256);
  body += "{\"device_id\":" + json_string(cfg_.device_id);
  if (ps.has_offset) body += ",\"clock_offset_ms\":" + std::to_string(ps.clock_offset);
  body += ",\"ops\":[";
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (i) body += ',';
    body += batch[i].op_json;
  }
  body += "]}";
  HttpRequest req;
  req.method = "POST";
  req.target = "/api/v1/sync/push";
  req.headers.emplace_back("Content-Type", "application/json");
  req.body = std::move(body);
  return req;
}

Result<SyncEngine::PendingAnswer> SyncEngine::read_push_answer(
    const HttpResponse& r, const std::vector<OutboxOp>& batch, std::vector<std::int64_t> seqs,
    std::chrono::system_clock::time_point t0, std::chrono::system_clock::time_point t1,
    PushState& ps) {
  auto v = parse_json(r.body, "sync/push");
  if (!v) return std::move(v).error();
  auto resp = wire::decode_push_response(*v);
  if (!resp)
    return make_error(
        ErrorCode::protocol,
        "sync/push: unexpected answer (" + resp.error().field + ": " + resp.error().message + ")",
        true);
  // Clock offset: the server stamped server_time somewhere inside our
  // request; the midpoint of send and receive is our best guess of when.
  PendingAnswer a;
  if (auto ts = wire::parse_rfc3339(resp->server_time)) {
    const std::int64_t mid = (to_ms(t0) + to_ms(t1)) / 2;
    ps.clock_offset = bounded_offset(ts->instant.time_since_epoch().count() - mid);
    ps.has_offset = true;
    a.settings.emplace_back(keys::kClockOffsetMs, std::to_string(ps.clock_offset));
  }
  std::unordered_map<std::string_view, std::int64_t> sent_ids;
  for (const auto& op : batch) sent_ids.emplace(op.op_id, op.seq);
  a.verdicts.reserve(resp->results.size());
  for (auto& res : resp->results) {
    auto sent = sent_ids.find(res.op_id);
    if (sent == sent_ids.end()) continue;  // not ours: ignore rather than trust
    OpVerdict ov;
    ov.op_id = res.op_id;
    ov.seq = sent->second;
    if (res.status == wire::OpStatus::rejected) {
      ov.kind = OpVerdict::Kind::rejected;
      if (res.error) {
        ov.code = res.error->code;
        ov.field = res.error->field;
        ov.message = res.error->message;
      }
      if (ov.code.empty()) ov.code = "rejected";
    } else {
      ov.received_at = res.received_at.value_or(resp->server_time);
    }
    a.verdicts.push_back(std::move(ov));
  }
  if (a.verdicts.empty())
    return make_error(ErrorCode::protocol, "sync/push: the server answered for none of our ops",
                      true);
  a.server_time = std::move(resp->server_time);
  std::sort(seqs.begin(), seqs.end());
  a.seqs = std::move(seqs);
  return a;
}

Result<bool> SyncEngine::push_concurrent(const std::string& token, SyncSummary& sum, PushState& ps,
                                         const std::function<void(const SyncProgress&)>& progress,
                                         std::size_t window) {
  // Up to `window` batches in flight, each exchanged on its own thread (and
  // so on its own connection of the transport), so the server parses and
  // validates one while it commits another and answers a third. Answers are
  // awaited and applied oldest first, by this thread alone (the database's
  // one user), while the younger batches are still on the wire. Only
  // commutative ops travel beside another batch: a batch holding a round or
  // hazard op is sent with nothing else in flight, and nothing follows it
  // until it is answered, so the server applies those in the device's order.
  std::deque<std::unique_ptr<Flight>> flights;
  auto land = [&]() {
    auto f = std::move(flights.front());
    flights.pop_front();
    if (f->sender.joinable()) f->sender.join();
    return f;
  };
  // Applies a landed flight's answer if it is a 200 with verdicts: true;
  // false if it is anything else (its ops stay queued, untouched).
  auto settle = [&](Flight& f) -> Result<bool> {
    const auto n = static_cast<std::int64_t>(f.seqs.size());
    if (!f.r || f.r->status != 200) {
      in_flight_ -= n;
      return false;
    }
    auto a = read_push_answer(*f.r, f.batch, f.seqs, f.t0, f.t1, ps);
    if (!a) {
      in_flight_ -= n;
      return false;
    }
    if (auto st = apply_answer(std::move(*a), sum, ps.prog, progress, {}); !st)
      return std::move(st).error();
    return true;
  };
  // Lands every flight, applying what was answered 200 (failures leave their
  // ops queued); the first storage failure is returned.
  auto drain = [&]() -> Status {
    Status first;
    while (!flights.empty()) {
      auto f = land();
      if (auto s = settle(*f); !s && first) first = std::move(s).error();
    }
    return first;
  };

  for (;;) {
    bool stopping = false;
    {
      std::lock_guard lk(state_mu_);
      stopping = stop_;
    }
    if (stopping) {
      (void)drain();  // what the server has answered is recorded either way
      return make_error(ErrorCode::network, "sync stopped", true);
    }
    if (!is_online()) {
      (void)drain();
      return make_error(ErrorCode::offline, "device went offline");
    }
    while (flights.size() < window && (flights.empty() || !flights.back()->ordered)) {
      std::vector<std::int64_t> skip;
      for (const auto& f : flights) skip.insert(skip.end(), f->seqs.begin(), f->seqs.end());
      std::sort(skip.begin(), skip.end());
      auto batch = db_.next_batch(ps.max_ops, ps.max_bytes, skip);
      if (!batch) {
        (void)drain();
        return std::move(batch).error();
      }
      if (!flights.empty()) {  // beside others: commutative ops only, up to the first other
        auto first_ordered = std::find_if(batch->begin(), batch->end(),
                                          [](const OutboxOp& op) { return !commutative(op.type); });
        batch->erase(first_ordered, batch->end());
      }
      if (batch->empty()) break;
      auto f = std::make_unique<Flight>();
      // The urgent lane (an SOS, the newest position) also goes alone: it
      // must reach the server before the backlog queued behind it, not race
      // a batch sent beside it. (Sent beside a backlog batch already in
      // flight it may: that one left first.)
      f->ordered = std::any_of(batch->begin(), batch->end(), [](const OutboxOp& op) {
        return !commutative(op.type) || op.lane == Lane::urgent;
      });
      f->req = push_request(*batch, ps);
      f->seqs.reserve(batch->size());
      for (const auto& op : *batch) f->seqs.push_back(op.seq);
      f->batch = std::move(*batch);
      in_flight_ += static_cast<std::int64_t>(f->seqs.size());
      Flight* fp = f.get();
      flights.push_back(std::move(f));
      try {
        fp->sender = std::thread([this, fp, &token]() noexcept {
          try {
            fp->t0 = std::chrono::system_clock::now();
            fp->r = send_with_auth(fp->req, token);
            fp->t1 = std::chrono::system_clock::now();
          } catch (const std::exception& e) {
            fp->r = make_error(ErrorCode::internal, std::string("push: ") + e.what());
          }
        });
      } catch (const std::system_error&) {
        break;  // no thread to be had: it stays unsent (its answer is an error) and is landed as a
                // failure
      }
    }
    if (flights.empty()) return true;  // the outbox is empty
    auto f = land();
    auto settled = settle(*f);
    if (!settled) {
      (void)drain();
      return std::move(settled).error();
    }
    if (!*settled) {
      // Anything but a readable 200 (network failure, 401, 413, 4xx/5xx, an
      // unreadable body): the serial loop sends that batch again and handles
      // its answer as it always has (halving, bisect, dead letters, backoff),
      // with nothing else in flight.
      if (auto st = drain(); !st) return std::move(st).error();
      return false;
    }
  }
}

Status SyncEngine::push_all(const std::string& token, SyncSummary& sum,
                            const std::function<void(const SyncProgress&)>& progress) {
  auto c = db_.counts();
  if (!c) return std::move(c).error();
  PushState ps;
  ps.prog = SyncProgress{0, c->pending};
  if (progress) progress(ps.prog);
  ps.max_ops = std::max<std::size_t>(1, cfg_.batch_max_ops);
  ps.max_bytes = std::max<std::size_t>(1024, cfg_.batch_max_bytes);
  const auto stored_offset = stored_clock_offset();
  ps.has_offset = stored_offset.has_value();
  ps.clock_offset = stored_offset.value_or(0);
  // Several batches in flight where the transport allows it (the default
  // one: a connection each). Anything but a plain 200 hands over to the
  // serial loop below.
  if (const std::size_t window = transport_ ? transport_->max_concurrent_sends() : 1; window > 1) {
    auto done = push_concurrent(token, sum, ps, progress, window);
    if (!done) return std::move(done).error();
    if (*done) return {};
  }
  SyncProgress& prog = ps.prog;
  std::size_t& max_ops = ps.max_ops;
  std::size_t& max_bytes = ps.max_bytes;
  bool& has_offset = ps.has_offset;
  // Reason of the last op set aside in this push that nothing went through
  // after: the same whole-request failure twice in a row is the server
  // refusing every push, not one bad op (then stop rather than dead-letter the
  // whole outbox one op at a time).
  std::string last_isolated_reason;
  // Pipelined push: an answer that came back 200 is applied to the outbox
  // while the next batch (which leaves its ops out) is on the wire, so a
  // backlog costs max(server, device) per batch rather than their sum. Only
  // a 200 is deferred; every other answer is handled (bisect, dead letter,
  // backoff) with nothing else in flight, and answers are applied in the
  // order their batches were sent.
  std::optional<PendingAnswer> pending;
  auto flush = [&]() -> Status {
    if (!pending) return {};
    auto a = std::move(*pending);
    pending.reset();
    return apply_answer(std::move(a), sum, prog, progress, {});
  };

  for (;;) {
    {
      std::lock_guard lk(state_mu_);
      if (stop_) {
        (void)flush();  // what the server has answered is recorded either way
        return make_error(ErrorCode::network, "sync stopped", true);
      }
    }
    if (!is_online()) {
      (void)flush();
      return make_error(ErrorCode::offline, "device went offline");
    }
    auto batch =
        db_.next_batch(max_ops, max_bytes, pending ? pending->seqs : std::vector<std::int64_t>{});
    if (!batch) {
      (void)flush();
      return std::move(batch).error();
    }
    if (batch->empty()) return flush();
    std::vector<std::int64_t> seqs;
    seqs.reserve(batch->size());
    for (const auto& op : *batch) seqs.push_back(op.seq);
    // In flight until its answer is applied or the exchange fails: kept in
    // memory (status() reads it), not in the outbox, whose rows would
    // otherwise be rewritten twice per push for a mark no restart needs.
    in_flight_ += static_cast<std::int64_t>(seqs.size());

    HttpRequest req = push_request(*batch, ps);
    auto unmark = [&, n = static_cast<std::int64_t>(seqs.size())] { in_flight_ -= n; };
    std::chrono::system_clock::time_point t0, t1;
    Result<HttpResponse> r = make_error(ErrorCode::internal, "push not sent");
    auto send = [&] {
      t0 = std::chrono::system_clock::now();
      r = send_with_auth(req, token);
      t1 = std::chrono::system_clock::now();
    };
    if (pending) {
      auto a = std::move(*pending);
      pending.reset();
      if (auto st = apply_answer(std::move(a), sum, prog, progress, send); !st) {
        unmark();
        return st;
      }
    } else {
      send();
    }
    if (r && r->status == 401) r = session_expired();
    auto fail = [&](Error e) -> Status {
      unmark();
      return e;
    };
    if (!r) return fail(std::move(r).error());
    if (r->status == 413 && batch->size() > 1) {  // batch too big for this server: halve it
      unmark();
      max_ops = std::max<std::size_t>(1, batch->size() / 2);
      max_bytes = std::max<std::size_t>(1024, max_bytes / 2);
      continue;
    }
    // A clock offset the server will not take (an older SDK stored it, or the
    // server's bound is tighter): forget it and send again without one; the
    // answer brings a fresh estimate.
    if (r->status == 400 && has_offset && error_field(r->body) == "clock_offset_ms") {
      unmark();
      (void)db_.erase(keys::kClockOffsetMs);
      has_offset = false;
      continue;
    }
    if (r->status != 200 && content_status(r->status)) {
      // Something in this request makes the server fail it. Find the op by
      // halving the batch (at once for a 4xx, which the same request always
      // gets again; for a 500 from its second failure on), then set it aside.
      unmark();
      std::int64_t head_failures = 0;
      for (auto sq : seqs) {
        auto n = db_.record_failure(sq);
        if (!n) return std::move(n).error();
        if (sq == seqs.front()) head_failures = *n;
      }
      Error e = http_error(*r, "sync/push");
      const bool deterministic = r->status != 500;
      if (batch->size() > 1) {
        if (!deterministic && head_failures < 2) return e;  // retried after the backoff
        max_ops = std::max<std::size_t>(1, batch->size() / 2);
        continue;
      }
      if (!deterministic && head_failures < kMaxOpFailures) return e;
      const std::string reason = std::to_string(r->status) + " " + error_code(*r);
      if (reason == last_isolated_reason) {
        // The op set aside before this one failed the same way: the server
        // refuses every push (not one op), so stop rather than empty the outbox.
        e.message +=
            "; the server refuses every push: not retried until the next sync_now, "
            "set_online(true), login or report";
        e.retryable = false;
        return e;
      }
      if (auto st = isolate(batch->front(), e, error_code(*r), sum); !st) return st;
      last_isolated_reason = reason;
      max_ops = std::max<std::size_t>(1, cfg_.batch_max_ops);  // the ops behind it go as usual
      continue;
    }
    if (r->status != 200) return fail(http_error(*r, "sync/push"));
    last_isolated_reason.clear();
    auto a = read_push_answer(*r, *batch, std::move(seqs), t0, t1, ps);
    if (!a) return fail(std::move(a).error());
    pending = std::move(*a);
  }
}

Status SyncEngine::isolate(const OutboxOp& op, const Error& why, std::string code,
                           SyncSummary& sum) {
  OpVerdict v;
  v.op_id = op.op_id;
  v.seq = op.seq;
  v.kind = OpVerdict::Kind::rejected;
  v.code = std::move(code);
  v.message = why.message;
  auto applied = db_.apply_verdicts({v}, {}, {op.seq});
  if (!applied) return std::move(applied).error();
  sum.rejected += applied->rejected;
  for (const auto& dl : applied->new_dead_letters)
    emit_({EventType::op_rejected, dl.op_id, dl.code, dl.message, 0, false});
  return {};
}

std::optional<std::int64_t> SyncEngine::stored_clock_offset() {
  auto v = db_.get(keys::kClockOffsetMs);
  if (!v || !*v) return std::nullopt;
  return bounded_offset(std::strtoll((*v)->c_str(), nullptr, 10));
}

namespace {
// Parses "bytes 0-99/1000" or "bytes=0-99" style values: the end offset + 1.
std::optional<std::int64_t> range_end_exclusive(std::string_view v) {
  auto dash = v.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto rest = v.substr(dash + 1);
  std::int64_t end = 0;
  bool any = false;
  for (char ch : rest) {
    if (ch < '0' || ch > '9') break;
    end = end * 10 + (ch - '0');
    any = true;
  }
  if (!any) return std::nullopt;
  return end + 1;
}
std::optional<std::int64_t> header_int(const HttpResponse& r, std::string_view name) {
  auto h = r.header(name);
  if (!h || h->empty()) return std::nullopt;
  std::int64_t v = 0;
  for (char ch : *h) {
    if (ch < '0' || ch > '9') return std::nullopt;
    v = v * 10 + (ch - '0');
  }
  return v;
}
}  // namespace

Status SyncEngine::upload_photos(const std::string& token, SyncSummary& sum) {
  auto photos = db_.pending_photos();
  if (!photos) return std::move(photos).error();
  for (const auto& p : *photos) {
    if (!is_online()) return make_error(ErrorCode::offline, "device went offline");
    if (auto st = upload_photo(token, p); !st) return st;
    if (auto st = db_.mark_photo_uploaded(p.sha256); !st) return st;
    // The server has it now: the device's copy only takes space. (Removed
    // after the mark commits; a crash in between leaves a file that the next
    // attach of the same photo replaces.)
    std::error_code ec;
    std::filesystem::remove(p.path, ec);
    ++sum.photos_uploaded;
    emit_({EventType::photo_uploaded, p.sha256, {}, {}, p.size, false});
  }
  return {};
}

Status SyncEngine::upload_photo(const std::string& token, const PhotoRow& p) {
  if (p.size == 0) return {};  // nothing to send; the server never needs an empty photo
  const std::string target = "/api/v1/attachments/" + p.sha256;
  // Where to resume: HEAD tells how much the server already holds.
  auto query_offset = [&]() -> Result<std::int64_t> {
    HttpRequest h;
    h.method = "HEAD";
    h.target = target;
    auto r = exchange(std::move(h), token);
    if (!r) return std::move(r).error();
    if (r->status == 404) return std::int64_t{0};
    if (r->status == 200 || r->status == 204 || r->status == 206 || r->status == 308) {
      if (auto o = header_int(*r, "upload-offset")) return *o;
      if (auto o = header_int(*r, "x-upload-offset")) return *o;
      if (auto rg = r->header("range")) {
        if (auto e = range_end_exclusive(*rg)) return *e;
      }
      if (r->status == 308) return std::int64_t{0};
      if (auto cl = header_int(*r, "content-length")) return *cl;
      return p.size;  // 200 without details: the server has it
    }
    return http_error(*r, "attachment HEAD");
  };
  auto off = query_offset();
  if (!off) return std::move(off).error();
  std::int64_t offset = std::min(*off, p.size);
  if (offset >= p.size && p.size > 0) return {};

  std::ifstream in(p.path, std::ios::binary);
  if (!in)
    return make_error(ErrorCode::storage, "photo " + p.sha256 + " missing from the SDK store");
  const std::int64_t chunk =
      static_cast<std::int64_t>(std::max<std::size_t>(cfg_.photo_chunk_bytes, 1024));
  int resyncs = 0;
  do {
    const std::int64_t n = std::min(chunk, p.size - offset);
    std::string data(static_cast<std::size_t>(n), '\0');
    in.clear();
    in.seekg(offset);
    in.read(data.data(), n);
    if (in.gcount() != n) return make_error(ErrorCode::storage, "short read of photo " + p.sha256);
    HttpRequest put;
    put.method = "PUT";
    put.target = target;
    put.headers.emplace_back("Content-Type", "application/octet-stream");
    put.headers.emplace_back("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                                  std::to_string(offset + n - 1) + "/" +
                                                  std::to_string(p.size));
    put.body = std::move(data);
    auto r = exchange(std::move(put), token);
    if (!r) return std::move(r).error();
    if (r->status == 200 || r->status == 201 || r->status == 204 || r->status == 202 ||
        r->status == 308) {
      offset += n;
      if (auto o = header_int(*r, "upload-offset")) offset = *o;
      if (r->status == 200 || r->status == 201) {
        if (offset >= p.size) return {};
      }
    } else if ((r->status == 409 || r->status == 416) && resyncs++ < 3) {
      auto o = query_offset();  // our idea of the offset was wrong: ask again
      if (!o) return std::move(o).error();
      offset = std::min(*o, p.size);
      if (offset >= p.size) return {};
    } else {
      return http_error(*r, "attachment PUT");
    }
  } while (offset < p.size);
  return {};
}

Result<std::int64_t> SyncEngine::pull_all(const std::string& token) {
  auto cur = db_.cursor();
  if (!cur) return std::move(cur).error();
  std::int64_t cursor = *cur;
  std::int64_t applied = 0;
  bool reset_once = false;
  for (int page = 0; page < 100000; ++page) {
    HttpRequest req;
    req.method = "GET";
    req.target = "/api/v1/sync/pull?cursor=" + std::to_string(cursor) + "&limit=500";
    auto r = exchange(std::move(req), token);
    if (!r) return std::move(r).error();
    // 409 cursor_reset: our cursor is past the server's change log (its database
    // was restored from a backup). Forget the cache and pull everything again,
    // once; waiting would never bring the changes made since the backup.
    if (r->status == 409 && cursor != 0 && !reset_once) {
      auto body = parse_json(r->body, "sync/pull");
      const auto* err =
          body && body->is_object() ? body->as_object().if_contains("error") : nullptr;
      const auto* code = err && err->is_object() ? err->as_object().if_contains("code") : nullptr;
      if (code && code->is_string() && code->as_string() == "cursor_reset") {
        if (auto st = db_.clear_reference_data(); !st) return std::move(st).error();
        cursor = 0;
        reset_once = true;
        continue;
      }
    }
    if (r->status != 200) return http_error(*r, "sync/pull");
    auto v = parse_json(r->body, "sync/pull");
    if (!v) return std::move(v).error();
    auto resp = wire::decode_pull_response(*v);
    if (!resp)
      return make_error(
          ErrorCode::protocol,
          "sync/pull: unexpected answer (" + resp.error().field + ": " + resp.error().message + ")",
          true);
    std::vector<CachedChange> changes;
    changes.reserve(resp->changes.size());
    for (auto& c : resp->changes) {
      CachedChange cc;
      cc.entity = c.entity;
      cc.id = c.id;
      cc.seq = c.seq;
      cc.remove = c.op == "delete" || c.data.is_null();
      if (!cc.remove) cc.data_json = boost::json::serialize(c.data);
      changes.push_back(std::move(cc));
    }
    if (resp->cursor < cursor && !changes.empty())
      return make_error(ErrorCode::protocol, "sync/pull: cursor went backwards", true);
    if (auto st = db_.apply_changes(changes, std::max(resp->cursor, cursor)); !st)
      return std::move(st).error();
    applied += static_cast<std::int64_t>(changes.size());
    const bool progressed = resp->cursor > cursor;
    cursor = std::max(resp->cursor, cursor);
    if (!resp->has_more || !progressed) break;
  }
  if (applied > 0) emit_({EventType::reference_data_changed, {}, {}, {}, applied, false});
  return applied;
}

}  // namespace patrol::sdk
