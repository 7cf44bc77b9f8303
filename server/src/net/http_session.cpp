#include "net/http_session.hpp"

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstdio>
#include <exception>
#include <type_traits>

#include "net/ws_session.hpp"

namespace patrol::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto as_tuple_awaitable = asio::as_tuple(use_awaitable);

void log_session_exception(const std::exception_ptr& e, std::string_view what) {
  if (!e) return;
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    write_log_line("{\"level\":\"error\",\"where\":\"" + std::string(what) + "\",\"message\":\"" +
                   std::string(ex.what()) + "\"}\n");
  } catch (...) {
    write_log_line("{\"level\":\"error\",\"where\":\"" + std::string(what) +
                   "\",\"message\":\"unknown exception\"}\n");
  }
}

namespace {

// The Api call of one request, on the worker pool (blocking until the
// request is served or, for a push, queued on the writer). The request lives
// in the caller's frame, which waits for `reply`. With `bind` (the request
// carries a bearer token the connection was not counted under yet), the
// token's user is looked up first and the connection counted as theirs
// (`bound`); past their cap (`over_cap`) the request is not run.
void handle_request(api::Api& api, const api::Request& req, ConnectionGuard* bind,
                    std::size_t user_cap, bool& bound, bool& over_cap, api::Reply reply) {
  if (bind) {
    auto who = api.authenticate(*req.header("authorization"));
    if (who.ok()) {
      if (!bind->bind_http_user(who.who.user_id)) {
        over_cap = true;
        auto res = json_error(429, "too_many_connections", "",
                              "this user already has " + std::to_string(user_cap) +
                                  " connections open; close one first");
        res.headers.emplace_back("Retry-After", "5");
        res.user_id = who.who.user_id;
        reply([res = std::move(res)]() mutable { return std::move(res); });
        return;
      }
      bound = true;
    }
  }
  api.handle_async(req, std::move(reply));
}

// Runs `start(reply)` on the worker pool; `start` or whoever it hands `reply`
// to (the store's writer, after a push's commit) calls reply(answer) once,
// from any thread, and the awaiting coroutine resumes on its own executor
// (the connection's strand) with the answer, which it runs there. One post to
// the pool and one back; no worker waits for the writer.
// on_workers_reply's state: the awaiting coroutine's handler, its executor,
// and whether the reply came (once).
template <class Handler, class Home>
struct PendingReply {
  PendingReply(Handler hh, Home he) : h(std::move(hh)), ex(std::move(he)) {}
  Handler h;
  Home ex;
  std::atomic<bool> replied{false};
};

// `pending` counts the calls not answered yet (Server::wait waits for them).
// `inline_first(reply)` runs first, here on the I/O thread: when it returns
// true it took the request (it must not block: Api::try_handle_inline) and
// nothing goes to the pool; the reply then comes from the writer or at once.
template <class I, class F>
auto on_workers_reply(asio::thread_pool& pool, std::atomic<std::size_t>& pending, I inline_first,
                      F start) {
  return asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr, api::Answer)>(
      [&pool, &pending](auto handler, I i, F f) {
        // Keeps the session's io_context from running out of work meanwhile.
        auto home = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
        auto p = std::make_shared<PendingReply<decltype(handler), decltype(home)>>(
            std::move(handler), std::move(home));
        pending.fetch_add(1);
        auto resume = [p, &pending](std::exception_ptr error, api::Answer answer) {
          if (p->replied.exchange(true)) return;  // once
          auto ex = p->ex;
          asio::post(ex, [p, error, answer = std::move(answer)]() mutable {
            std::move(p->h)(error, std::move(answer));
          });
          pending.fetch_sub(1);
        };
        try {
          if (i(api::Reply([resume](api::Answer a) { resume(nullptr, std::move(a)); }))) return;
        } catch (...) {
          resume(std::current_exception(), nullptr);
          return;
        }
        asio::post(pool, [resume, f = std::move(f)]() mutable {
          try {
            f(api::Reply([resume](api::Answer a) { resume(nullptr, std::move(a)); }));
          } catch (...) {
            resume(std::current_exception(), nullptr);
          }
        });
      },
      use_awaitable, std::move(inline_first), std::move(start));
}

// Runs the blocking `fn()` on the worker pool and resumes the awaiting
// coroutine on its own executor (the connection's strand) with the result or
// the exception: one post to the pool and one back. (co_spawn onto the pool
// cost two coroutine frames and an awaitable thread per request, allocated on
// the I/O thread and freed on a worker.)
template <class F>
auto on_workers(asio::thread_pool& pool, F fn) {
  using R = std::invoke_result_t<F&>;
  return asio::async_initiate<decltype(use_awaitable), void(std::exception_ptr, R)>(
      [&pool](auto handler, F f) {
        // Keeps the session's io_context from running out of work meanwhile.
        auto home = asio::prefer(asio::get_associated_executor(handler),
                                 asio::execution::outstanding_work.tracked);
        asio::post(pool, [handler = std::move(handler), f = std::move(f),
                          home = std::move(home)]() mutable {
          std::exception_ptr error;
          R result{};
          try {
            result = f();
          } catch (...) {
            error = std::current_exception();
          }
          asio::post(home,
                     [handler = std::move(handler), error, result = std::move(result)]() mutable {
                       std::move(handler)(error, std::move(result));
                     });
        });
      },
      use_awaitable, std::move(fn));
}

std::string endpoint_text(const tcp::socket& s) {
  beast::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  if (ec) return "-";
  return ep.address().to_string() + ":" + std::to_string(ep.port());
}
std::string endpoint_ip(const tcp::socket& s) {
  beast::error_code ec;
  const auto ep = s.remote_endpoint(ec);
  return ec ? std::string("-") : ep.address().to_string();
}
// "1.2.3.4:5" / "::1:5" (endpoint_text) -> the address part.
std::string_view remote_ip(std::string_view endpoint) {
  const auto colon = endpoint.rfind(':');
  return colon == std::string_view::npos ? endpoint : endpoint.substr(0, colon);
}

// The 429 a rate limiter answers, or nullopt when the request may go on.
// `what` names what is counted ("requests", "logins") in the message.
std::optional<api::Response> rate_limit_answer(RateLimiter& limiter, const std::string& ip,
                                               metrics::Metrics& metrics, std::string_view what) {
  std::chrono::seconds retry_after{1};
  if (limiter.allow(ip, Clock::now(), retry_after)) return std::nullopt;
  metrics.count_rate_limited();
  auto r = json_error(429, "rate_limited", "",
                      "too many " + std::string(what) + " from this address; retry after " +
                          std::to_string(retry_after.count()) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return r;
}

// How a request ended, and so what the connection does next.
enum class Next { keep_alive, close, linger, drop, upgraded };

// What the access log and metrics need about the request being answered.
struct Meta {
  std::string method = "-";
  std::string path = "-";
  // Our own id until the client's X-Request-Id is read: errors answered before
  // the header is parsed (431, 400) carry one too.
  std::string request_id = request_id_for(std::nullopt);
  Clock::time_point start = Clock::now();
  unsigned version = 11;
};

// Writes the 413/431/503 and other transport answers, then the caller lingers:
// send side shut (FIN after the response), unread input drained for a short
// while, then close — so the peer reads the answer instead of a reset.
awaitable<void> lingering_close(TlsStream& stream, std::chrono::milliseconds max_wait) {
  auto& tcp_stream = beast::get_lowest_layer(stream);
  beast::error_code ec;
  tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  tcp_stream.expires_after(max_wait);
  std::array<char, std::size_t{16} * 1024> junk{};
  std::size_t drained = 0;
  while (drained < std::size_t{64} * 1024 * 1024) {
    // Raw TCP under the TLS layer: the TLS session is over, we only empty the pipe.
    auto [rec, n] = co_await tcp_stream.async_read_some(asio::buffer(junk), as_tuple_awaitable);
    if (rec) break;
    drained += n;
  }
  tcp_stream.close();
}

class HttpConnection final : public Stoppable, public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(std::shared_ptr<ServerContext> ctx, tcp::socket socket,
                 std::unique_ptr<ConnectionGuard> guard)
      : ctx_(std::move(ctx)),
        ex_(socket.get_executor()),
        remote_(endpoint_text(socket)),
        remote_key_(auth::address_key(endpoint_ip(socket))),
        guard_(std::move(guard)),
        stream_(beast::tcp_stream(std::move(socket)), *ctx_->tls) {}

  ~HttpConnection() override {
    if (registry_id_ != 0) {
      ctx_->sessions.remove(registry_id_);
      if (!proven_) ctx_->unproven.remove(registry_id_);
    }
  }

  void register_self() {
    registry_id_ = ctx_->sessions.add(weak_from_this());
    ctx_->unproven.add(registry_id_, weak_from_this());
  }
  const asio::any_io_executor& executor() const { return ex_; }

  void stop(bool force) override {
    asio::post(ex_, [self = shared_from_this(), force] {
      if (self->handed_over_) return;
      auto& tcp_stream = beast::get_lowest_layer(self->stream_);
      if (force)
        tcp_stream.close();
      else if (self->idle_)
        tcp_stream.cancel();  // wakes the keep-alive wait; the loop sees `stopping`
    });
  }

  awaitable<void> run() {
    const auto& limits = ctx_->cfg.limits;
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    tcp_stream.expires_after(limits.request_timeout);
    auto [hec] = co_await stream_.async_handshake(ssl::stream_base::server, as_tuple_awaitable);
    if (hec) co_return;  // old TLS versions, plain HTTP, scanners: nothing to answer

    beast::flat_buffer buffer;
    Next next = Next::close;
    for (;;) {
      if (ctx_->stopping.load()) {
        next = Next::close;
        break;
      }
      if (buffer.size() == 0) {
        // Keep-alive wait for the first byte of the next request: the idle timeout.
        idle_ = true;
        tcp_stream.expires_after(limits.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer.prepare(std::size_t{16} * 1024),
                                                        as_tuple_awaitable);
        idle_ = false;
        if (ec == asio::error::operation_aborted && ctx_->stopping.load()) {
          next = Next::close;  // shutdown woke us: say goodbye properly
          break;
        }
        if (ec) co_return;  // timeout (socket already closed), EOF or reset
        buffer.commit(n);
      }
      next = co_await serve_one(buffer);
      if (next != Next::keep_alive) break;
    }
    if (next == Next::upgraded || next == Next::drop) co_return;
    if (next == Next::linger) {
      co_await lingering_close(stream_, std::min<std::chrono::milliseconds>(
                                            limits.request_timeout, std::chrono::seconds(2)));
      co_return;
    }
    // Orderly TLS close (close_notify), bounded.
    tcp_stream.expires_after(std::chrono::seconds(1));
    co_await stream_.async_shutdown(as_tuple_awaitable);
    tcp_stream.close();
  }

 private:
  awaitable<Next> serve_one(beast::flat_buffer& buffer) {
    const auto& limits = ctx_->cfg.limits;
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    Meta meta;
    http::request_parser<http::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, 0xffffffffu)));
    parser.body_limit(limits.max_body_bytes);
    // The whole request (header and body) must arrive within the request timeout.
    tcp_stream.expires_after(limits.request_timeout);
    auto [ec, n] = co_await http::async_read_header(stream_, buffer, parser, as_tuple_awaitable);
    if (ec == http::error::header_limit) {
      co_await respond(json_error(431, "header_too_large", "headers",
                                  "request header block exceeds " +
                                      std::to_string(limits.max_header_bytes) + " bytes"),
                       meta, false);
      co_return Next::linger;
    }
    if (ec == http::error::body_limit) {
      // Beast checks Content-Length against the body limit with the header:
      // answer before the body arrives; the lingering close drains it.
      co_await respond(body_too_large(), meta, false);
      co_return Next::linger;
    }
    if (ec) co_return co_await bad_request_or_drop(ec, meta);
    if (!proven_) {
      // A whole request head arrived: no longer first in line for eviction.
      proven_ = true;
      ctx_->unproven.remove(registry_id_);
    }

    {
      const auto& h = parser.get();
      meta.method = std::string(h.method_string());
      meta.path = std::string(h.target().substr(0, h.target().find('?')));
      meta.version = h.version();
      const auto rid = h.find("x-request-id");
      if (rid != h.end()) meta.request_id = request_id_for(std::string_view(rid->value()));
      if (auto bad = check_request_head(h, limits.max_header_bytes)) {
        // Framing we cannot trust (smuggling), an unknown method, a bad Host:
        // answer and close; nothing after it on this connection is read.
        co_await respond(std::move(*bad), meta, false);
        co_return Next::linger;
      }
      if (const auto len = parser.content_length(); len && *len > limits.max_body_bytes) {
        // Answer before reading the body; the lingering close drains what follows.
        co_await respond(body_too_large(), meta, false);
        co_return Next::linger;
      }
      const auto expect = h.find(http::field::expect);
      if (expect != h.end() && beast::iequals(expect->value(), "100-continue")) {
        http::response<http::empty_body> cont{http::status::continue_, h.version()};
        auto [cec, cn] = co_await http::async_write(stream_, cont, as_tuple_awaitable);
        if (cec) co_return Next::drop;
      }
    }
    if (!parser.is_done()) {
      auto [bec, bn] = co_await http::async_read(stream_, buffer, parser, as_tuple_awaitable);
      if (bec == http::error::body_limit) {
        co_await respond(body_too_large(), meta, false);
        co_return Next::linger;
      }
      if (bec) co_return co_await bad_request_or_drop(bec, meta);
    }
    BeastRequest req = parser.release();
    const bool keep_alive = req.keep_alive();

    api::Request areq;
    if (auto bad = to_api_request(std::move(req), remote_, meta.request_id, areq)) {
      co_return co_await respond(std::move(*bad), meta, keep_alive) ? next_after(keep_alive)
                                                                    : Next::drop;
    }
    meta.path = areq.path;
    std::optional<api::Response> limited;
    if (ctx_->limiter.enabled())
      limited = rate_limit_answer(ctx_->limiter, remote_key_, ctx_->metrics, "requests");
    if (!limited && ctx_->login_limiter.enabled() && areq.method == "POST" &&
        areq.path == "/api/v1/auth/login")
      limited = rate_limit_answer(ctx_->login_limiter, remote_key_, ctx_->metrics, "logins");
    if (limited)
      co_return co_await respond(std::move(*limited), meta, keep_alive) ? next_after(keep_alive)
                                                                        : Next::drop;
    if (auto r = check_content_type(areq.method, areq.path, areq.header("content-type"),
                                    !areq.body.empty())) {
      co_return co_await respond(std::move(*r), meta, keep_alive) ? next_after(keep_alive)
                                                                  : Next::drop;
    }
    if (areq.path == "/metrics" && !ctx_->metrics_allow.allows(remote_ip(remote_))) {
      // Not for the public port: as if there were no such route (--metrics-allow).
      co_return co_await respond(json_error(404, "not_found", "", "no such route"), meta,
                                 keep_alive)
          ? next_after(keep_alive)
          : Next::drop;
    }
    if (areq.path == "/api/v1/live" && boost::beast::websocket::is_upgrade(req)) {
      co_return co_await upgrade(std::move(req), areq, meta);
    }

    // --max-connections-per-user: counted from the first request with a
    // token (again when the token changes), in the same hop to the workers.
    const auto authz = areq.header("authorization");
    const std::size_t user_cap = ctx_->cfg.limits.max_connections_per_user;
    const bool bind = user_cap != 0 && authz && *authz != bound_authz_;
    areq.auth_cache = &auth_cache_;
    bool bound = false, over_cap = false;
    api::Response res;
    try {
      auto answer = co_await on_workers_reply(
          ctx_->workers, ctx_->replies_pending,
          // A push validated from the caches is queued from here: I/O thread
          // -> writer -> I/O thread, no worker (issue 9). A connection still
          // to be counted under its user (bind) goes to the workers.
          [&api = ctx_->api, &areq, bind](const api::Reply& reply) {
            return !bind && api.try_handle_inline(areq, reply);
          },
          [&api = ctx_->api, &areq, g = bind ? guard_.get() : nullptr, user_cap, &bound,
           &over_cap](api::Reply reply) {
            handle_request(api, areq, g, user_cap, bound, over_cap, std::move(reply));
          });
      res = answer();  // a push's results are built here, off the writer
    } catch (const std::exception& e) {
      // Api::handle_async promises not to throw; if it does, the peer still gets JSON.
      log_session_exception(std::current_exception(), "api handle");
      res = json_error(500, "internal", "", "internal error");
    }
    if (bound) bound_authz_ = std::string(*authz);
    const bool keep = keep_alive && !ctx_->stopping.load() && !over_cap;
    co_return co_await respond(std::move(res), meta, keep, req.method() == http::verb::head)
        ? next_after(keep)
        : Next::drop;
  }

  awaitable<Next> upgrade(BeastRequest req, const api::Request& areq, Meta& meta) {
    if (auto bad = check_websocket_handshake(req)) {
      // Checked here so the client gets our JSON error, not Beast's plain text.
      bad->route = "/api/v1/live";
      co_await respond(std::move(*bad), meta, false);
      co_return Next::close;
    }
    std::string token;
    if (auto auth = areq.header("authorization")) {
      std::string_view v = *auth;
      if (v.size() > 7 && beast::iequals(v.substr(0, 7), "Bearer "))
        token = std::string(v.substr(7));
    }
    if (token.empty()) {
      if (auto q = areq.query_param("access_token")) token = std::string(*q);
    }
    api::AuthResult who;
    if (!token.empty()) {
      try {
        who = co_await on_workers(ctx_->workers,
                                  [&api = ctx_->api, &token] { return api.authenticate(token); });
      } catch (const std::exception&) {
        log_session_exception(std::current_exception(), "api authenticate");
        who.status = api::AuthResult::Status::unavailable;
      }
    }
    if (who.status == api::AuthResult::Status::unavailable) {
      // The store could not check the token: a 401 would log the client out.
      auto r = json_error(503, "unavailable", "", "storage temporarily unavailable, retry later");
      r.route = "/api/v1/live";
      r.headers.emplace_back("Retry-After", "1");
      co_return co_await respond(std::move(r), meta, req.keep_alive())
          ? next_after(req.keep_alive())
          : Next::drop;
    }
    if (who.status == api::AuthResult::Status::forbidden) {
      auto r = json_error(403, "forbidden", "role", "this account's role is not recognised");
      r.route = "/api/v1/live";
      co_return co_await respond(std::move(r), meta, req.keep_alive())
          ? next_after(req.keep_alive())
          : Next::drop;
    }
    if (!who.ok()) {
      auto r = json_error(401, token.empty() ? "missing_token" : "invalid_token", "authorization",
                          token.empty() ? "send Authorization: Bearer TOKEN or ?access_token=TOKEN"
                                        : "token is unknown, expired or logged out");
      r.route = "/api/v1/live";
      r.headers.emplace_back("WWW-Authenticate", "Bearer");
      co_return co_await respond(std::move(r), meta, req.keep_alive())
          ? next_after(req.keep_alive())
          : Next::drop;
    }
    if (!guard_->bind_websocket_user(who.who.user_id)) {
      auto r = json_error(429, "too_many_websockets", "",
                          "this user already has " +
                              std::to_string(ctx_->cfg.limits.max_websockets_per_user) +
                              " live connections open; close one first");
      r.route = "/api/v1/live";
      r.headers.emplace_back("Retry-After", "5");
      co_return co_await respond(std::move(r), meta, req.keep_alive())
          ? next_after(req.keep_alive())
          : Next::drop;
    }
    if (ctx_->stopping.load()) {
      auto r = json_error(503, "shutting_down", "", "server is shutting down");
      co_await respond(std::move(r), meta, false);
      co_return Next::close;
    }
    handed_over_ = true;
    start_websocket_session(ctx_, std::move(stream_), std::move(req), std::move(who.who),
                            std::move(guard_), meta.request_id);
    co_return Next::upgraded;
  }

  static Next next_after(bool keep_alive) { return keep_alive ? Next::keep_alive : Next::close; }

  api::Response body_too_large() const {
    return json_error(
        413, "body_too_large", "body",
        "request body exceeds " + std::to_string(ctx_->cfg.limits.max_body_bytes) + " bytes");
  }

  // A malformed request gets a 400 (then linger); a timeout, EOF or reset is just dropped.
  awaitable<Next> bad_request_or_drop(beast::error_code ec, Meta& meta) {
    if (ec.category() == make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      co_await respond(
          json_error(400, "bad_request", "", "malformed HTTP request: " + ec.message()), meta,
          false);
      co_return Next::linger;
    }
    co_return Next::drop;
  }

  // Writes one response, then logs it and counts it. false when the write failed.
  awaitable<bool> respond(api::Response res, Meta& meta, bool keep_alive, bool head = false) {
    auto out = to_beast_response(std::move(res), meta.version, keep_alive, meta.request_id, head,
                                 ctx_->csp);
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    tcp_stream.expires_after(ctx_->cfg.limits.request_timeout);
    auto [ec, n] = co_await http::async_write(stream_, out, as_tuple_awaitable);
    const auto us =
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - meta.start);
    ctx_->metrics.observe_request(res.route.empty() ? "(unmatched)" : res.route, res.status, us);
    if (ctx_->cfg.access_log) {
      write_log_line(format_access_log(
          {meta.method, meta.path, res.status, us, res.user_id, meta.request_id, remote_, n}));
    }
    co_return !ec;
  }

  std::shared_ptr<ServerContext> ctx_;
  asio::any_io_executor ex_;
  std::string remote_;
  std::string remote_key_;  // client address for limits (IPv6: its /64)
  std::unique_ptr<ConnectionGuard> guard_;
  TlsStream stream_;
  std::uint64_t registry_id_ = 0;
  bool idle_ = false;          // strand-only
  bool handed_over_ = false;   // strand-only: stream_ moved to the WebSocket session
  bool proven_ = false;        // strand-only: a request head arrived (see UnprovenConnections)
  std::string bound_authz_;    // strand-only: Authorization the connection is counted under
  api::AuthCache auth_cache_;  // the last token check (api.hpp); used by one request at a time
};

awaitable<void> refuse(std::shared_ptr<ServerContext> ctx, TlsStream stream, std::string remote,
                       bool per_address) {
  auto& tcp_stream = beast::get_lowest_layer(stream);
  const auto wait =
      std::min<std::chrono::milliseconds>(ctx->cfg.limits.request_timeout, std::chrono::seconds(2));
  tcp_stream.expires_after(wait);
  auto [hec] = co_await stream.async_handshake(ssl::stream_base::server, as_tuple_awaitable);
  if (!hec) {
    // The server full: 503. This address holding its share already: 429.
    auto r = per_address ? json_error(429, "too_many_connections", "",
                                      "too many connections from this address; retry shortly")
                         : json_error(503, "too_many_connections", "",
                                      "the server is at its connection limit; retry shortly");
    r.headers.emplace_back("Retry-After", "1");
    const auto rid = request_id_for(std::nullopt);
    auto out = to_beast_response(r, 11, false, rid, false, ctx->csp);
    auto [ec, n] = co_await http::async_write(stream, out, as_tuple_awaitable);
    if (ctx->cfg.access_log)
      write_log_line(format_access_log({"-", "-", r.status, {}, "", rid, remote, n}));
    if (!ec) co_await lingering_close(stream, wait);
  }
  tcp_stream.close();
}

}  // namespace

void start_http_session(std::shared_ptr<ServerContext> ctx, tcp::socket socket,
                        std::unique_ptr<ConnectionGuard> guard) {
  auto conn = std::make_shared<HttpConnection>(std::move(ctx), std::move(socket), std::move(guard));
  conn->register_self();
  asio::co_spawn(conn->executor(), conn->run(),
                 [conn](const std::exception_ptr& e) { log_session_exception(e, "http session"); });
}

void start_refusal(const std::shared_ptr<ServerContext>& ctx, tcp::socket socket,
                   bool per_address) {
  ctx->metrics.count_connection_refused();
  ctx->refusing.fetch_add(1);
  auto ex = socket.get_executor();
  const auto remote = endpoint_text(socket);
  TlsStream stream(beast::tcp_stream(std::move(socket)), *ctx->tls);
  asio::co_spawn(ex, refuse(ctx, std::move(stream), remote, per_address),
                 [ctx](const std::exception_ptr& e) {
                   ctx->refusing.fetch_sub(1);
                   log_session_exception(e, "refusal");
                 });
}

}  // namespace patrol::net
