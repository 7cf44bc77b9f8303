#include "net/ws_session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "net/ws_tls_stream.hpp"

namespace patrol::net {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;
using asio::awaitable;
using asio::use_awaitable;
constexpr auto as_tuple_awaitable = asio::as_tuple(use_awaitable);

class WsSession;

// The live WebSockets are spread over a few shards (a few per I/O thread);
// every session of a shard runs on the shard's strand. What the publisher sends to
// thousands of sessions for one event is then one post per shard, not one per
// session: send() appends to the shard's open batch and the first append posts
// the batch, which queues (and starts writing) every message of it in one
// handler. Order is kept: a session's messages and closes go through the same
// batches in the order they were called. Thread-safe.
class WsShard : public std::enable_shared_from_this<WsShard> {
 public:
  explicit WsShard(boost::asio::any_io_executor strand) : strand_(std::move(strand)) {}
  const boost::asio::any_io_executor& executor() const { return strand_; }

  struct Item {
    std::shared_ptr<WsSession> to;
    LiveMessagePtr message;  // null: close with `code` and `reason`
    unsigned short code = 0;
    std::string reason;
  };
  void push(Item item);

 private:
  struct Batch {
    std::vector<Item> items;
  };
  void run(Batch& b);

  boost::asio::any_io_executor strand_;
  std::mutex mu_;
  // Weak: the posted handler owns the batch, so a batch never run (the
  // io_context went first) goes with the handler, and its sessions with it.
  std::weak_ptr<Batch> open_;
};

class WsSession final : public Stoppable,
                        public LiveConnection,
                        public std::enable_shared_from_this<WsSession> {
 public:
  WsSession(std::shared_ptr<ServerContext> ctx, std::shared_ptr<WsShard> shard, WsTlsStream stream,
            domain::Principal who, std::unique_ptr<ConnectionGuard> guard)
      : ctx_(std::move(ctx)),
        shard_(std::move(shard)),
        ex_(stream.get_executor()),
        ws_(std::move(stream)),
        who_(std::move(who)),
        guard_(std::move(guard)) {}

  ~WsSession() override {
    if (registry_id_ != 0) ctx_->sessions.remove(registry_id_);
  }

  void register_self() { registry_id_ = ctx_->sessions.add(weak_from_this()); }

  awaitable<void> run(BeastRequest upgrade, std::string request_id) {
    // finish() runs however this frame ends: returning, throwing, or being
    // destroyed unresumed when the io_context goes away after a forced stop.
    struct Finally {
      WsSession* self;
      ~Finally() { self->finish(); }
    } finally{this};
    const auto& limits = ctx_->cfg.limits;
    if (limits.ws_socket_buffer > 0) {
      beast::error_code bec;
      beast::get_lowest_layer(ws_).set_option(
          asio::socket_base::send_buffer_size(static_cast<int>(limits.ws_socket_buffer)), bec);
    }
    websocket::stream_base::timeout t{};
    t.handshake_timeout = limits.request_timeout;
    t.idle_timeout = limits.ws_idle_timeout;
    t.keep_alive_pings = true;  // a ping at half the idle timeout keeps NATs and us honest
    ws_.set_option(t);
    ws_.read_message_max(limits.ws_max_message_bytes);
    // One frame per message: a small event is one TLS record and one send.
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator([request_id](websocket::response_type& res) {
      res.set(beast::http::field::server, "patrold");
      res.set("Strict-Transport-Security", "max-age=31536000");
      res.set("X-Request-Id", request_id);
    }));
    const auto start = std::chrono::steady_clock::now();
    auto [ec] = co_await ws_.async_accept(upgrade, as_tuple_awaitable);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - start);
    ctx_->metrics.observe_request("/api/v1/live", ec ? 400 : 101, us);
    if (ctx_->cfg.access_log) {
      write_log_line(format_access_log(
          {"GET", "/api/v1/live", ec ? 400u : 101u, us, who_.user_id, request_id, remote_, 0}));
    }
    if (ec) co_return;
    open_ = true;
    ctx_->metrics.websocket_opened();

    json::object user;
    user["id"] = who_.user_id;
    user["name"] = who_.name;
    user["role"] = who_.role;
    user["org_unit_id"] = who_.org_unit_id;
    json::object hello;
    hello["type"] = "hello";
    hello["user"] = std::move(user);
    enqueue(text_message(json::serialize(hello)));
    if (ctx_->live.opened) ctx_->live.opened(shared_from_this());
    if (ctx_->stopping.load())
      begin_close(websocket::close_code::going_away, "server shutting down");

    beast::flat_buffer buffer;
    for (;;) {
      auto [rec, n] = co_await ws_.async_read(buffer, as_tuple_awaitable);
      if (rec) break;  // closed by either side, timeout, too big, or cancelled
      if (ws_.got_text()) on_message(beast::buffers_to_string(buffer.data()));
      buffer.consume(buffer.size());
      buffer.shrink_to_fit();  // an idle viewer keeps no read buffer
    }
  }

  // Stoppable: runs the close on the strand.
  void stop(bool force) override {
    asio::post(ex_, [self = shared_from_this(), force] {
      if (force) {
        beast::error_code ec;
        beast::get_lowest_layer(self->ws_).close(ec);
        return;
      }
      self->begin_close(websocket::close_code::going_away, "server shutting down");
    });
  }

  // LiveConnection
  const domain::Principal& principal() const override { return who_; }
  using LiveConnection::send;
  bool send(LiveMessagePtr message) override {
    if (closed_.load() || closing_.load()) {
      ctx_->metrics.count_live_dropped(1);
      return false;
    }
    shard_->push({shared_from_this(), std::move(message), 0, {}});
    return true;
  }
  void close(unsigned short code, std::string_view reason) override {
    shard_->push({shared_from_this(), nullptr, code, std::string(reason)});
  }

  void set_remote(std::string r) { remote_ = std::move(r); }
  const asio::any_io_executor& executor() const { return ex_; }

 private:
  friend class WsShard;

  // Once, on the strand (or during io_context teardown): the connection is over.
  // Releases the connection slot now rather than when the last handle dies.
  void finish() {
    if (finished_) return;
    finished_ = true;
    closed_ = true;
    if (!queue_.empty()) ctx_->metrics.count_live_dropped(queue_.size());
    queue_.clear();
    if (open_) {
      ctx_->metrics.websocket_closed();
      if (ctx_->live.closed) ctx_->live.closed(*this);
    }
    guard_.reset();
    if (registry_id_ != 0) ctx_->sessions.remove(std::exchange(registry_id_, 0));
  }

  // On the strand.
  void on_message(std::string text) {
    json::error_code jec;
    auto v = json::parse(text, jec);
    if (!jec && v.is_object()) {
      const auto* type = v.as_object().if_contains("type");
      if (type && type->is_string() && type->as_string() == "ping") {
        enqueue(text_message(R"({"type":"pong"})"));
        return;
      }
    }
    if (ctx_->live.message) ctx_->live.message(shared_from_this(), text);
  }

  static LiveMessagePtr text_message(std::string text) {
    return std::make_shared<const LiveMessage>(LiveMessage{std::move(text), {}, {}});
  }

  // On the strand. The queue is written by flush(): what it holds goes out
  // at once, several messages in one TLS record and one send, straight from
  // this handler when the socket takes it; the rest (a full socket) is one
  // write in flight, whose completion flushes again.
  void enqueue(LiveMessagePtr m) {
    if (closed_.load() || closing_.load()) {
      ctx_->metrics.count_live_dropped(1);
      return;
    }
    if (!m->coalesce_key.empty()) {
      // The front `inflight_` messages are being written: never touch them.
      for (auto it = queue_.begin() + static_cast<std::ptrdiff_t>(inflight_); it != queue_.end();
           ++it) {
        if (it->msg->coalesce_key == m->coalesce_key) {
          queue_.erase(it);
          ctx_->metrics.count_live_coalesced();
          break;
        }
      }
    }
    // Too slow: the queue is full, or its oldest message (the one being
    // written, when a write is stuck) has waited too long. A burst (one big
    // commit) is fine; a consumer that stays behind is not.
    const auto now = std::chrono::steady_clock::now();
    if (queue_.size() >= ctx_->cfg.limits.ws_send_queue ||
        (!queue_.empty() && now - queue_.front().at > ctx_->cfg.limits.ws_slow_after)) {
      ctx_->metrics.count_live_slow_closed();
      ctx_->metrics.count_live_dropped(1);
      begin_close(websocket::close_code::policy_error, "send queue overflow");
      return;
    }
    queue_.push_back(Queued{std::move(m), now});
    ctx_->metrics.observe_live_queue_depth(queue_.size());
    if (!writing_) flush();
  }

  // The WebSocket frame of a text message (RFC 6455 5.2: FIN, opcode 1;
  // a server's frames are not masked; no extension is negotiated), appended
  // to `out`. Beast writes only the control frames (see ws_tls_stream.hpp).
  static void append_frame(std::vector<unsigned char>& out, const std::string& text) {
    const std::size_t n = text.size();
    out.push_back(0x81);
    if (n < 126) {
      out.push_back(static_cast<unsigned char>(n));
    } else if (n <= 0xffff) {
      out.push_back(126);
      out.push_back(static_cast<unsigned char>(n >> 8));
      out.push_back(static_cast<unsigned char>(n));
    } else {
      out.push_back(127);
      for (int shift = 56; shift >= 0; shift -= 8)
        out.push_back(static_cast<unsigned char>(static_cast<std::uint64_t>(n) >> shift));
    }
    out.insert(out.end(), text.begin(), text.end());
  }

  // On the strand, no write in flight: writes the queue's frames, up to
  // kFlushBytes a time (more than one TLS record: a burst is few sends).
  void flush() {
    static constexpr std::size_t kFlushBytes = 64 * 1024;
    thread_local std::vector<unsigned char> frames;
    while (!queue_.empty()) {
      if (closed_.load() || !ws_.is_open()) {
        // Closed, or Beast started a close (answering the peer's): no data
        // frame may follow a close frame.
        ctx_->metrics.count_live_dropped(queue_.size());
        queue_.clear();
        break;
      }
      frames.clear();
      std::size_t count = 0;
      for (const auto& q : queue_) {
        if (count > 0 && frames.size() + q.msg->text.size() > kFlushBytes) break;
        append_frame(frames, q.msg->text);
        ++count;
      }
      std::size_t n = 0;
      beast::error_code ec;
      const auto step = ws_.next_layer().try_write(frames.data(), frames.size(), n, ec);
      if (ec) {
        write_failed();
        break;
      }
      if (step != WsTlsStream::Step::done) {
        // The socket is full: the rest goes as one write in flight; the
        // messages in it stay at the front of the queue until it is done.
        inflight_ = count;
        pending_.assign(frames.begin() + static_cast<std::ptrdiff_t>(n), frames.end());
        writing_ = true;
        ws_.next_layer().async_write_all(
            asio::buffer(pending_),
            [self = shared_from_this()](beast::error_code wec, std::size_t) {
              self->written(wec);
            });
        return;
      }
      sent(count);
    }
    frames.clear();
    if (frames.capacity() > 4 * kFlushBytes) frames.shrink_to_fit();  // after a big snapshot
    if (close_pending_) start_close_now();
  }

  // The first `count` messages of the queue left.
  void sent(std::size_t count) {
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < count && !queue_.empty(); ++i) {
      const auto& m = *queue_.front().msg;
      if (m.committed != std::chrono::steady_clock::time_point{}) {
        ctx_->metrics.observe_live_send(
            std::chrono::duration_cast<std::chrono::microseconds>(now - m.committed));
      }
      queue_.pop_front();
    }
  }

  void write_failed() {
    // The connection is broken; its read fails too and ends the session.
    if (!queue_.empty()) ctx_->metrics.count_live_dropped(queue_.size());
    queue_.clear();
    inflight_ = 0;
  }

  void written(beast::error_code ec) {
    writing_ = false;
    pending_.clear();
    pending_.shrink_to_fit();
    if (ec) {
      write_failed();
    } else {
      sent(std::exchange(inflight_, 0));
    }
    inflight_ = 0;
    if (closed_.load()) return;
    flush();
  }

  // On the strand. The close frame goes out after the write in flight (one
  // write at a time, so a queued close waits for the writer).
  void begin_close(websocket::close_code code, std::string reason) {
    if (closing_.exchange(true) || closed_.load()) return;
    close_reason_ = websocket::close_reason(code, reason);
    // What waits behind the write in flight is not sent.
    if (queue_.size() > inflight_) ctx_->metrics.count_live_dropped(queue_.size() - inflight_);
    queue_.resize(std::min(queue_.size(), inflight_));
    if (writing_)
      close_pending_ = true;
    else
      start_close_now();
  }

  void start_close_now() {
    close_pending_ = false;
    if (!open_) return;
    asio::co_spawn(
        ex_,
        [](std::shared_ptr<WsSession> self) -> awaitable<void> {
          co_await self->ws_.async_close(self->close_reason_, as_tuple_awaitable);
        }(shared_from_this()),
        [](const std::exception_ptr& e) { log_session_exception(e, "websocket close"); });
  }

  std::shared_ptr<ServerContext> ctx_;
  std::shared_ptr<WsShard> shard_;
  asio::any_io_executor ex_;  // shard_'s strand
  websocket::stream<WsTlsStream> ws_;
  domain::Principal who_;
  std::unique_ptr<ConnectionGuard> guard_;
  std::uint64_t registry_id_ = 0;
  std::string remote_;
  // Strand-only state.
  struct Queued {
    LiveMessagePtr msg;
    std::chrono::steady_clock::time_point at;  // when queued
  };
  std::deque<Queued> queue_;
  std::size_t inflight_ = 0;            // messages at the queue's front in the write in flight
  std::vector<unsigned char> pending_;  // their frames' bytes the socket did not take yet
  bool writing_ = false;
  bool close_pending_ = false;
  bool open_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;
  // Read from send() on other threads.
  std::atomic<bool> closing_{false};
  std::atomic<bool> closed_{false};
};

void WsShard::push(Item item) {
  std::shared_ptr<Batch> fresh;
  {
    std::lock_guard lk(mu_);
    auto b = open_.lock();
    if (!b) {
      b = std::make_shared<Batch>();
      open_ = b;
      fresh = b;
    }
    b->items.push_back(std::move(item));
  }
  // Posted once per batch; appends made before it runs join it.
  if (fresh)
    asio::post(strand_, [self = shared_from_this(), b = std::move(fresh)] { self->run(*b); });
}

// On the strand.
void WsShard::run(Batch& b) {
  {
    std::lock_guard lk(mu_);
    if (open_.lock().get() == &b) open_.reset();  // later appends start the next batch
  }
  for (auto& it : b.items) {
    if (it.message)
      it.to->enqueue(std::move(it.message));
    else
      it.to->begin_close(static_cast<websocket::close_code>(it.code), std::move(it.reason));
  }
  b.items.clear();  // the sessions' last handles may go here, on their strand
}

namespace {

// A few shards per I/O thread, made on first use (a strand of the io_context
// the connection came in on) and kept while a session holds it: the strands go
// with the sessions, before the io_context. More shards than threads, so a
// thread that the OS preempts in the middle of a batch does not hold up the
// other threads (they take the other shards' batches meanwhile).
constexpr std::size_t kShardsPerThread = 4;
std::shared_ptr<WsShard> pick_shard(ServerContext& ctx, const asio::any_io_executor& from) {
  std::lock_guard lk(ctx.ws_shards_mu);
  if (ctx.ws_shards.empty()) {
    std::size_t n = ctx.cfg.io_threads;
    if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
    ctx.ws_shards.resize(n * kShardsPerThread);
  }
  auto& slot = ctx.ws_shards[ctx.ws_next_shard++ % ctx.ws_shards.size()];
  auto shard = slot.lock();
  if (!shard) {
    asio::any_io_executor strand;
    if (const auto* s = from.target<asio::strand<asio::io_context::executor_type>>())
      strand = asio::make_strand(s->get_inner_executor());
    else
      strand = asio::make_strand(from);
    shard = std::make_shared<WsShard>(std::move(strand));
    slot = shard;
  }
  return shard;
}

}  // namespace

void start_websocket_session(std::shared_ptr<ServerContext> ctx, TlsStream stream,
                             BeastRequest upgrade, domain::Principal who,
                             std::unique_ptr<ConnectionGuard> guard, std::string request_id) {
  beast::error_code ec;
  auto remote = beast::get_lowest_layer(stream).socket().remote_endpoint(ec);
  std::string why;
  auto shard = pick_shard(*ctx, stream.get_executor());
  auto tls = WsTlsStream::take_over(std::move(stream), shard->executor(), why);
  if (!tls) {
    log_session_exception(std::make_exception_ptr(std::runtime_error(why)), "websocket upgrade");
    return;  // the connection is dropped; the guard frees its slot
  }
  auto session =
      std::make_shared<WsSession>(ctx, shard, std::move(*tls), std::move(who), std::move(guard));
  if (!ec) session->set_remote(remote.address().to_string() + ":" + std::to_string(remote.port()));
  session->register_self();
  asio::co_spawn(
      session->executor(), session->run(std::move(upgrade), std::move(request_id)),
      [session](const std::exception_ptr& e) { log_session_exception(e, "websocket session"); });
}

}  // namespace patrol::net
