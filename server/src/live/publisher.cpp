#include "live/publisher.hpp"

#include <algorithm>
#include <atomic>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#include "domain/scope.hpp"
#include "live/client_message.hpp"
#include "live/messages.hpp"
#include "metrics/metrics.hpp"

namespace patrol::live {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

namespace {

std::int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Close code for a session that ended (logout, expiry, revocation): in the
// 4000-4999 range applications may use; the reason says which.
constexpr unsigned short kSessionEnded = 4001;

// An event's `data`: JSON text already (inspection, change log, presence:
// the store writes an inspection's text straight from its row), or the
// position marker it is made from, serialised only when a viewer needs it (a
// delivery or a replay).
using Data = std::variant<std::string, store::LatestPosition>;

std::string data_json(Data& d) {
  if (auto* s = std::get_if<std::string>(&d)) return std::move(*s);
  return json::serialize(store::to_json(std::get<store::LatestPosition>(d)));
}

struct Event {
  std::int64_t seq = 0;
  std::string org_path;
  std::string kind;
  std::string user_id;  // position: coalescing key; sos: whose alert
  Clock::time_point committed{};
  Data data;  // cleared once `text` is made
  Text text;  // null until first needed (text_of)
};

// An event before it has a seq (built off the lock, numbered in order).
struct Draft {
  std::string org_path;
  std::string kind;
  std::string user_id;
  Data data;
  std::int64_t seq = 0;  // the store's event number; 0: the next of this process
};

// The event's message, made on first use (under the publisher's mu, or before
// the event is shared).
const Text& text_of(Event& e) {
  if (!e.text) {
    e.text = event_text(e.seq, e.kind, data_json(e.data),
                        e.kind == "position" ? e.user_id : std::string(), e.committed);
    e.data = std::string();  // moved into the text
  }
  return e.text;
}

struct Conn {
  std::shared_ptr<net::LiveConnection> c;
  domain::Principal who;
  std::uint64_t gen = 0;  // subscribe requests so far; a stale reply is dropped
  std::string path;       // subscribed node's org path; empty while not subscribed
};

struct CachedSnapshot {
  std::int64_t seq = 0;
  Clock::time_point taken;
  std::string members;
  std::string org_unit_id;
  Text plain, reset;
};

struct Presence {
  std::int64_t last_ms = 0;
  std::string org_path;
  std::string name;
  bool online = false;
};

struct PresenceChange {
  std::string user_id, name, org_path;
  bool online = false;
  std::int64_t t = 0;
};

std::string presence_json(const std::string& user_id, const std::string& name, bool online,
                          std::int64_t t) {
  return json::serialize(json::object{
      {"user_id", user_id}, {"name", name}, {"online", online}, {"t", store::format_ms(t)}});
}

}  // namespace

struct Publisher::Impl : std::enable_shared_from_this<Impl> {
  Impl(store::Store& s, store::LiveStore& l, PublisherOptions o)
      : store(s), live(l), opts(std::move(o)) {}

  store::Store& store;
  store::LiveStore& live;
  PublisherOptions opts;

  // ---- connections, ring, seq: guarded by mu ----
  mutable std::mutex mu;
  std::unordered_map<const net::LiveConnection*, Conn> conns;
  // Subscribers by node path, pointing into conns (its nodes do not move):
  // the fan-out walks these without a lookup per connection.
  std::unordered_map<std::string, std::vector<Conn*>> by_path;
  std::deque<Event> ring;
  std::int64_t ring_floor = 0;  // every event with seq > ring_floor is in the ring
  std::int64_t seq = 0;         // last assigned; written by the publisher thread only
  // The store numbers events (LiveCursors::events): seqs are the same on
  // every node, so `since` works across nodes; this node's own events
  // (presence) take numbers in (seq, db_free). Set at start().
  bool db_numbers = false;
  std::int64_t db_free = 0;
  std::unordered_map<std::string, CachedSnapshot> snapshots;
  std::uint64_t events = 0, deliveries = 0;
  std::size_t subscribed = 0;  // connections in by_path
  // Subscribed connections plus subscribe requests being answered: while 0,
  // nobody needs the events soon, so the publisher reads the committed rows
  // only every idle_tail_interval and serialises none (lazily, on replay).
  std::atomic<std::size_t> active{0};

  // ---- presence: guarded by pmu ----
  std::mutex pmu;
  std::unordered_map<std::string, Presence> presence;
  std::vector<PresenceChange> presence_changes;

  // ---- the publisher thread ----
  std::mutex wmu;
  std::condition_variable wcv;
  bool dirty = false;
  Clock::time_point dirty_since{};  // the oldest commit not yet published
  bool presence_dirty = false;
  bool stopping = false;
  bool tailing = false;          // tail_all() running
  std::uint64_t tails_done = 0;  // tail_all() calls finished (tcv on each)
  std::condition_variable tcv;
  std::thread thread;
  store::LiveCursors cursors;  // publisher thread only
  bool retry_soon = false;     // publisher thread only: LiveBatch::pending
  struct Marker {
    std::int64_t t = 0;
    double lat = 0, lon = 0;
  };
  std::unordered_map<std::string, Marker> last_marker;  // publisher thread only

  // ---- snapshot / subscribe jobs ----
  std::mutex jmu;
  std::condition_variable jcv;
  std::deque<std::function<void()>> jobs;
  std::vector<std::thread> job_threads;

  void wake(bool presence_only = false) {
    {
      std::lock_guard lk(wmu);
      if (presence_only) {
        presence_dirty = true;
      } else if (!dirty) {
        dirty = true;
        dirty_since = Clock::now();
      } else {
        // Already flagged: the publisher has been woken for it (or is
        // awake), and when nobody watches it waits for its deadline anyway.
        // Not waking it on every group commit saves a context switch each.
        return;
      }
    }
    wcv.notify_one();
  }

  // ---------------------------------------------------------------- fan-out

  static bool visible(const Conn& c, const Event& e) {
    if (c.path.empty() || e.org_path.compare(0, c.path.size(), c.path) != 0) return false;
    if (e.kind == "sos" && !domain::sees_all_alerts(c.who) && e.user_id != c.who.user_id)
      return false;
    return true;
  }

  void send(const Conn& c, Event& e) {
    c.c->send(text_of(e));
    ++deliveries;
  }

  // Under mu: to every connection subscribed at the event's node or above.
  void deliver(Event& e) {
    for (std::size_t i = 1; i < e.org_path.size(); ++i) {
      if (e.org_path[i] != '/') continue;
      auto it = by_path.find(e.org_path.substr(0, i + 1));
      if (it == by_path.end()) continue;
      for (const Conn* c : it->second)
        if (visible(*c, e)) send(*c, e);
    }
  }

  // Numbers, rings and delivers drafts, in order (publisher thread).
  // `committed`: when the change behind them was committed (steady clock;
  // default for presence, which no commit made).
  void publish(std::vector<Draft>& drafts, Clock::time_point committed = {}) {
    if (drafts.empty()) return;
    std::vector<Event> evs;
    evs.reserve(drafts.size());
    std::int64_t s = seq;  // only this thread writes seq
    // Someone watches (or is about to): serialise here, off the lock, as the
    // fan-out will need it. Otherwise leave it to the first replay.
    const bool watched = active.load(std::memory_order_relaxed) > 0;
    for (auto& d : drafts) {
      Event e;
      e.seq = d.seq != 0 ? d.seq : s + 1;
      s = e.seq;
      e.org_path = std::move(d.org_path);
      e.kind = std::move(d.kind);
      e.user_id = std::move(d.user_id);
      e.committed = committed;
      e.data = std::move(d.data);
      if (watched) text_of(e);
      evs.push_back(std::move(e));
    }
    std::lock_guard lk(mu);
    for (auto& e : evs) {
      deliver(e);
      ring.push_back(std::move(e));
      while (ring.size() > opts.ring_events) {
        ring_floor = ring.front().seq;
        ring.pop_front();
      }
    }
    seq = s;
    events += evs.size();
    if (opts.metrics) opts.metrics->count_live_events(evs.size());
  }

  void unsubscribe(Conn& c) {
    if (c.path.empty()) return;
    auto it = by_path.find(c.path);
    if (it != by_path.end()) {
      auto& v = it->second;
      auto pos = std::find(v.begin(), v.end(), &c);
      if (pos != v.end()) {
        *pos = v.back();
        v.pop_back();
      }
      if (v.empty()) by_path.erase(it);
      --subscribed;
      active.fetch_sub(1);
      if (opts.metrics) opts.metrics->set_live_subscribers(subscribed);
    }
    c.path.clear();
  }

  // Under mu. Sends `first`, then the ring's events after `after` in scope
  // (each volunteer's positions reduced to the latest, as a queue would), then
  // subscribes. False when the ring no longer covers `after`, or the replay
  // is longer than replay_max (it would overflow the connection's queue):
  // the caller sends a snapshot instead.
  bool attach(const net::LiveConnection* key, std::uint64_t gen, const std::string& path,
              const Text& first, std::int64_t after) {
    if (after < ring_floor) return false;
    auto it = conns.find(key);
    if (it == conns.end() || it->second.gen != gen) return true;  // gone, or superseded
    Conn& c = it->second;
    const std::string old_path = std::exchange(c.path, path);
    auto from = std::upper_bound(ring.begin(), ring.end(), after,
                                 [](std::int64_t s, const Event& e) { return s < e.seq; });
    std::vector<Event*> replay;
    std::unordered_map<std::string_view, std::size_t> last_position;
    for (auto e = from; e != ring.end(); ++e) {
      if (!visible(c, *e)) continue;
      if (e->kind == "position") {
        auto [p, fresh] = last_position.try_emplace(e->user_id, replay.size());
        if (!fresh) {
          replay[p->second] = nullptr;  // superseded by this later marker
          p->second = replay.size();
        }
      }
      replay.push_back(&*e);
    }
    std::size_t n = 0;
    for (const auto* e : replay) n += e != nullptr;
    if (n > opts.replay_max) {
      c.path = old_path;
      return false;
    }
    c.path = old_path;
    unsubscribe(c);
    c.path = path;
    c.c->send(first);
    for (auto* e : replay)
      if (e) send(c, *e);
    by_path[path].push_back(&c);
    ++subscribed;
    active.fetch_add(1);
    if (opts.metrics) opts.metrics->set_live_subscribers(subscribed);
    return true;
  }

  // ---------------------------------------------------------------- tailing

  void tail_all(Clock::time_point committed) {
    for (int round = 0; round < 1000; ++round) {
      auto b = live.live_tail(cursors, opts.tail_limit);
      if (!b) {
        std::fprintf(stderr, "patrold: live feed: reading committed changes failed: %s\n",
                     b.error().message().c_str());
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        wake();  // try again
        return;
      }
      std::vector<Draft> drafts;
      drafts.reserve(b->inspections.size() + b->changes.size() + b->positions.size());
      for (auto& i : b->inspections)
        drafts.push_back({std::move(i.org_path), "inspection", {}, std::move(i.data), i.event});
      for (auto& c : b->changes) {
        if (c.op != "upsert") continue;
        if (c.entity != "hazard" && c.entity != "round" && c.entity != "sos") continue;
        Draft d{c.org_path, c.entity, {}, std::move(c.data), c.event};
        if (c.entity == "sos") {
          boost::system::error_code ec;
          auto v = json::parse(std::get<std::string>(d.data), ec);
          if (!ec && v.is_object())
            if (const auto* u = v.as_object().if_contains("user_id"); u && u->is_string())
              d.user_id = u->as_string();
        }
        drafts.push_back(std::move(d));
      }
      for (auto& p : b->positions) {
        seen(p.latest.user_id, p.latest.user_name, p.org_path, p.received_ms);
        // A late point extends the track but never moves the marker back
        // (latest_positions keeps the newest; an unchanged marker is not re-sent).
        Marker m{p.latest.t, p.latest.lat, p.latest.lon};
        auto [it, fresh] = last_marker.try_emplace(p.latest.user_id, m);
        if (!fresh) {
          const Marker& was = it->second;
          if (m.t < was.t || (m.t == was.t && m.lat == was.lat && m.lon == was.lon)) continue;
          it->second = m;
        }
        std::string uid = p.latest.user_id;
        drafts.push_back({p.org_path, "position", std::move(uid), std::move(p.latest), p.event});
      }
      cursors = b->upto;
      if (db_numbers) {
        // The store's numbers: in order across the three tails; a row it
        // could not number (over kEventsPerXid in one transaction) is left out.
        std::erase_if(drafts, [](const Draft& d) { return d.seq == 0; });
        std::stable_sort(drafts.begin(), drafts.end(),
                         [](const Draft& x, const Draft& y) { return x.seq < y.seq; });
      }
      publish(drafts, committed);
      if (db_numbers) {
        std::lock_guard lk(mu);
        seq = std::max(seq, b->upto.events);
        db_free = b->upto.events_free;
      }
      retry_soon = b->pending;
      if (!b->more) return;
    }
    wake();  // still more: yield to the other duties first
  }

  // ---------------------------------------------------------------- presence

  // Any thread.
  void seen(const std::string& user_id, const std::string& name, const std::string& path,
            std::int64_t at) {
    bool changed = false;
    {
      std::lock_guard lk(pmu);
      auto& p = presence[user_id];
      p.last_ms = std::max(p.last_ms, at);
      p.org_path = path;
      if (!name.empty()) p.name = name;
      if (!p.online && unix_ms() - p.last_ms <= opts.presence_window.count()) {
        p.online = true;
        presence_changes.push_back({user_id, p.name, path, true, p.last_ms});
        changed = true;
      }
    }
    if (changed) wake(true);
  }

  void publish_presence() {
    std::vector<PresenceChange> changes;
    {
      std::lock_guard lk(pmu);
      changes.swap(presence_changes);
    }
    std::vector<Draft> drafts;
    std::int64_t next = seq + 1;  // only this thread writes seq
    for (std::size_t i = 0; i < changes.size(); ++i) {
      auto& c = changes[i];
      if (db_numbers && next >= db_free) {
        // No number left before the store's next events: after the next tail.
        std::lock_guard lk(pmu);
        presence_changes.insert(presence_changes.begin(), changes.begin() + i, changes.end());
        break;
      }
      drafts.push_back({c.org_path, "presence", c.user_id,
                        presence_json(c.user_id, c.name, c.online, c.t), db_numbers ? next++ : 0});
    }
    publish(drafts);
  }

  void sweep_presence() {
    auto now = unix_ms();
    std::lock_guard lk(pmu);
    for (auto& [uid, p] : presence) {
      if (p.online && now - p.last_ms > opts.presence_window.count()) {
        p.online = false;
        presence_changes.push_back({uid, p.name, p.org_path, false, p.last_ms});
      }
    }
  }

  // ---------------------------------------------------------------- sessions

  void sweep_expired() {
    auto now = unix_ms();
    std::lock_guard lk(mu);
    for (auto& [k, c] : conns)
      if (c.who.expires_at_ms > 0 && c.who.expires_at_ms <= now)
        c.c->close(kSessionEnded, "token expired");
  }

  void revalidate() {
    std::unordered_set<std::string> hashes;
    {
      std::lock_guard lk(mu);
      for (auto& [k, c] : conns) hashes.insert(c.who.token_hash);
    }
    std::unordered_set<std::string> gone;
    auto now = unix_ms();
    for (const auto& h : hashes) {
      auto s = store.session(h, now);
      if (!s && s.error() == store::errc::not_found) gone.insert(h);
    }
    if (gone.empty()) return;
    std::lock_guard lk(mu);
    for (auto& [k, c] : conns)
      if (gone.count(c.who.token_hash)) c.c->close(kSessionEnded, "session ended");
  }

  // ---------------------------------------------------------------- threads

  bool idle() const { return active.load() == 0; }

  // Wakes the publisher to read what it deferred while idle (a subscribe
  // request arrived), and returns the number of tails to wait for.
  std::uint64_t catch_up() {
    std::lock_guard lk(wmu);
    wcv.notify_one();
    return tails_done + (tailing ? 2 : 1);
  }

  // Waits (up to `max`) until `done` tails finished, or there is nothing to read.
  void wait_caught_up(std::uint64_t done, std::chrono::milliseconds max) {
    std::unique_lock lk(wmu);
    tcv.wait_for(lk, max, [&] { return stopping || tails_done >= done || (!dirty && !tailing); });
  }

  void run() {
    auto next_sweep = Clock::now() + opts.sweep_interval;
    auto next_check = Clock::now() + opts.revalidate_interval;
    auto last_tail = Clock::now();
    std::unique_lock lk(wmu);
    while (!stopping) {
      // Rows held back by a running transaction (LiveBatch::pending): look
      // again soon even if no commit is notified. While nobody watches,
      // commits are read in one go every idle_tail_interval instead.
      constexpr auto kRetry = std::chrono::milliseconds(20);
      const bool quiet = idle();
      auto until = next_sweep;
      if (quiet && dirty) until = std::min(until, last_tail + opts.idle_tail_interval);
      if (retry_soon)
        until = std::min(
            until, last_tail + (quiet ? std::max<Clock::duration>(opts.idle_tail_interval, kRetry)
                                      : Clock::duration(kRetry)));
      // Woken by a commit (when quiet: only the first, to set the deadline),
      // and when someone starts watching while quiet (catch_up()).
      const bool was_dirty = dirty;
      wcv.wait_until(lk, until, [&] {
        return stopping || presence_dirty || (dirty && (!idle() || !was_dirty)) ||
               (quiet && !idle());
      });
      if (stopping) break;
      const auto woke = Clock::now();
      const bool watched = !idle();
      const bool due = watched || woke >= last_tail + opts.idle_tail_interval;
      const bool notified = dirty && due;
      const bool d =
          notified ||
          (retry_soon && woke >= last_tail + (watched ? Clock::duration(kRetry)
                                                      : Clock::duration(opts.idle_tail_interval)));
      const Clock::time_point committed = notified ? dirty_since : woke;
      if (notified) dirty = false;
      bool pd = std::exchange(presence_dirty, false);
      tailing = d;
      lk.unlock();
      try {
        if (d) {
          tail_all(committed);
          last_tail = Clock::now();
        }
        auto now = Clock::now();
        if (now >= next_sweep) {
          sweep_presence();
          sweep_expired();
          next_sweep = now + opts.sweep_interval;
          pd = true;
        }
        if (pd) publish_presence();
        if (now >= next_check) {
          revalidate();
          next_check = Clock::now() + opts.revalidate_interval;
        }
      } catch (const std::exception& e) {
        std::fprintf(stderr, "patrold: live feed: %s\n", e.what());
      }
      lk.lock();
      if (std::exchange(tailing, false)) {
        ++tails_done;
        tcv.notify_all();
      }
    }
    tcv.notify_all();
  }

  void job_loop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lk(jmu);
        jcv.wait(lk, [&] { return stopping_jobs || !jobs.empty(); });
        if (jobs.empty()) return;
        job = std::move(jobs.front());
        jobs.pop_front();
      }
      try {
        job();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "patrold: live feed: subscribe: %s\n", e.what());
      }
    }
  }
  bool stopping_jobs = false;

  void post_job(std::function<void()> f) {
    {
      std::lock_guard lk(jmu);
      if (stopping_jobs) return;
      jobs.push_back(std::move(f));
    }
    jcv.notify_one();
  }

  // ---------------------------------------------------------------- subscribe

  // On the connection's strand: parse, then hand to a job thread.
  void on_message(const std::shared_ptr<net::LiveConnection>& c, std::string_view text) {
    auto m = decode_client_message(text);
    if (!m) {
      c->send(error_text(m.error().code, m.error().field, m.error().message));
      return;
    }
    const std::int64_t org = m->org_unit_id;
    const std::optional<std::int64_t> since = m->since;
    std::uint64_t gen = 0;
    {
      std::lock_guard lk(mu);
      auto it = conns.find(c.get());
      if (it == conns.end()) return;
      gen = ++it->second.gen;
    }
    // Counted as watching from now on, so the publisher reads what it
    // deferred while nobody watched (catch_up() in subscribe()).
    active.fetch_add(1);
    post_job(
        [self = shared_from_this(), w = std::weak_ptr<net::LiveConnection>(c), gen, org, since] {
          struct Done {
            Impl* self;
            ~Done() { self->active.fetch_sub(1); }
          } done{self.get()};
          self->subscribe(w, gen, org, since);
        });
  }

  store::result<std::string> read_snapshot(const std::string& path, const domain::Principal& who) {
    SnapshotBody b;
    std::unordered_map<std::string, std::int64_t> open_by_site;
    {
      store::HazardFilter f;
      f.scope_path = path;
      f.limit = 1000;
      for (;;) {
        auto page = store.hazards(f);
        if (!page) return page.error();
        for (const auto& h : page->items) {
          if (h.state == "closed") continue;
          ++open_by_site[h.site_id];
          b.hazards.push_back(store::to_json(h));
        }
        if (!page->next) break;
        f.after = page->next;
      }
    }
    {
      store::SiteFilter f;
      f.scope_path = path;
      f.limit = 1000;
      for (;;) {
        auto page = store.sites(f);
        if (!page) return page.error();
        for (const auto& s : page->items) {
          auto o = store::to_json(s);
          auto it = open_by_site.find(s.id);
          o["open_hazards"] = it == open_by_site.end() ? 0 : it->second;
          b.sites.push_back(std::move(o));
        }
        if (!page->next) break;
        f.after = page->next;
      }
    }
    {
      std::optional<std::string> after;
      for (;;) {
        auto page = store.latest_positions(path, after, 1000);
        if (!page) return page.error();
        for (const auto& p : page->items) b.positions.push_back(store::to_json(p));
        if (!page->next) break;
        after = page->next;
      }
    }
    {
      auto now = unix_ms();
      auto rounds = live.live_rounds(path, now - 12 * 3600 * 1000, now + 24 * 3600 * 1000);
      if (!rounds) return rounds.error();
      for (const auto& r : *rounds) b.rounds.push_back(store::to_json(r));
    }
    {
      store::AlertFilter f;
      f.scope_path = path;
      if (!domain::sees_all_alerts(who)) f.user_id = who.user_id;
      f.limit = 1000;
      auto page = store.alerts(f);
      if (!page) return page.error();
      for (const auto& a : page->items)
        if (a.state == "open") b.alerts.push_back(store::to_json(a));
    }
    {
      std::lock_guard lk(pmu);
      for (const auto& [uid, p] : presence)
        if (p.online && p.org_path.compare(0, path.size(), path) == 0)
          b.presence.push_back(json::parse(presence_json(uid, p.name, true, p.last_ms)));
    }
    return snapshot_members(b);
  }

  void subscribe(const std::weak_ptr<net::LiveConnection>& w, std::uint64_t gen, std::int64_t org,
                 std::optional<std::int64_t> since) {
    auto c = w.lock();
    if (!c) return;
    const domain::Principal& who = c->principal();
    const std::string org_id = std::to_string(org);
    auto unit = store.org_unit(org);
    if (!unit && unit.error() != store::errc::not_found) {
      c->send(error_text("unavailable", "", "storage unavailable, subscribe again later"));
      return;
    }
    // Unknown and out-of-scope nodes get the same answer (nothing leaks).
    if (!unit || !who.can_see(unit->path)) {
      c->send(error_text("forbidden", "org_unit_id", "this org unit is outside your scope"));
      return;
    }
    const std::string path = unit->path;
    // What was committed before this request, deferred while nobody watched,
    // is read now (up to 2 s): the replay or the snapshot's seq is then
    // current, and the next events are not a backlog on the new subscriber.
    wait_caught_up(catch_up(), std::chrono::milliseconds(2000));
    if (since) {
      // With the store's numbers a `since` from another node may be ahead of
      // this one's tail for a moment: let it catch up (up to 2 s).
      for (int wait = 0; db_numbers && wait < 100; ++wait) {
        {
          std::lock_guard lk(mu);
          if (*since < std::max(seq + 1, db_free)) break;
        }
        wake();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      std::lock_guard lk(mu);
      if (*since >= ring_floor && (*since <= seq || (db_numbers && *since < db_free)) &&
          attach(c.get(), gen, path, subscribed_text(org_id, *since), *since))
        return;
    }
    const bool reset = since.has_value();
    const std::string key =
        path + (domain::sees_all_alerts(who) ? std::string() : "\n" + who.user_id);
    for (int attempt = 0; attempt < 4; ++attempt) {
      std::int64_t s0 = 0;
      {
        std::lock_guard lk(mu);
        auto it = snapshots.find(key);
        if (it != snapshots.end() && Clock::now() - it->second.taken < opts.snapshot_reuse &&
            it->second.seq >= ring_floor) {
          auto& cs = it->second;
          Text& t = reset ? cs.reset : cs.plain;
          if (!t) t = snapshot_text(org_id, cs.seq, reset, cs.members);
          if (cs.org_unit_id == org_id && attach(c.get(), gen, path, t, cs.seq)) return;
        }
        s0 = seq;
      }
      auto members = read_snapshot(path, who);
      if (!members) {
        c->send(error_text("unavailable", "", "storage unavailable, subscribe again later"));
        return;
      }
      std::lock_guard lk(mu);
      auto now = Clock::now();
      for (auto it = snapshots.begin(); it != snapshots.end();)
        it = now - it->second.taken >= opts.snapshot_reuse ? snapshots.erase(it) : std::next(it);
      CachedSnapshot cs{s0, now, std::move(*members), org_id, nullptr, nullptr};
      Text t = snapshot_text(org_id, s0, reset, cs.members);
      (reset ? cs.reset : cs.plain) = t;
      snapshots[key] = std::move(cs);
      // False: too much happened while reading (the ring moved past s0, or
      // the catch-up is too long): read a newer snapshot.
      if (attach(c.get(), gen, path, t, s0)) return;
      snapshots.erase(key);
    }
    c->send(error_text("unavailable", "", "too busy to take a snapshot, subscribe again"));
  }
};

Publisher::Publisher(store::Store& store, store::LiveStore& live, PublisherOptions opts)
    : impl_(std::make_shared<Impl>(store, live, std::move(opts))) {
  // Microseconds since the epoch: larger than any seq an earlier process
  // handed out (see the header), and exact in a JavaScript number.
  impl_->seq = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  impl_->ring_floor = impl_->seq;
}

Publisher::~Publisher() {
  stop();
}

store::result<void> Publisher::start() {
  auto head = impl_->live.live_head();
  if (!head) return head.error();
  impl_->cursors = *head;
  if (head->events > 0) {
    // The store numbers events: the ring starts at its head (a `since`
    // before it gets a reset snapshot, as after a restart).
    impl_->db_numbers = true;
    impl_->seq = impl_->ring_floor = head->events;
    impl_->db_free = head->events_free;
  }
  Impl* raw = impl_.get();
  impl_->thread = std::thread([raw] {
    pthread_setname_np(pthread_self(), "patrol-live");
    raw->run();
  });
  for (std::size_t i = 0; i < std::max<std::size_t>(1, impl_->opts.snapshot_threads); ++i)
    impl_->job_threads.emplace_back([raw] {
      pthread_setname_np(pthread_self(), "patrol-live-sub");
      raw->job_loop();
    });
  return {};
}

void Publisher::stop() {
  {
    std::lock_guard lk(impl_->wmu);
    impl_->stopping = true;
  }
  impl_->wcv.notify_all();
  if (impl_->thread.joinable()) impl_->thread.join();
  {
    std::lock_guard lk(impl_->jmu);
    impl_->stopping_jobs = true;
    impl_->jobs.clear();
  }
  impl_->jcv.notify_all();
  for (auto& t : impl_->job_threads)
    if (t.joinable()) t.join();
  impl_->job_threads.clear();
  std::lock_guard lk(impl_->mu);
  impl_->by_path.clear();
  impl_->conns.clear();
  impl_->subscribed = 0;
  if (impl_->opts.metrics) impl_->opts.metrics->set_live_subscribers(0);
}

net::LiveHooks Publisher::hooks() {
  net::LiveHooks h;
  std::weak_ptr<Impl> w = impl_;
  h.opened = [w](const std::shared_ptr<net::LiveConnection>& c) {
    auto self = w.lock();
    if (!self) return;
    std::lock_guard lk(self->mu);
    self->conns[c.get()] = Conn{c, c->principal(), 0, {}};
  };
  h.message = [w](const std::shared_ptr<net::LiveConnection>& c, std::string_view text) {
    if (auto self = w.lock()) self->on_message(c, text);
  };
  h.closed = [w](const net::LiveConnection& c) {
    auto self = w.lock();
    if (!self) return;
    std::shared_ptr<net::LiveConnection> keep;  // released after the lock
    std::lock_guard lk(self->mu);
    auto it = self->conns.find(&c);
    if (it == self->conns.end()) return;
    self->unsubscribe(it->second);
    keep = std::move(it->second.c);
    self->conns.erase(it);
  };
  return h;
}

void Publisher::committed() noexcept {
  impl_->wake();
}

void Publisher::session_ended(std::string_view token_hash) noexcept {
  std::lock_guard lk(impl_->mu);
  for (auto& [k, c] : impl_->conns)
    if (c.who.token_hash == token_hash) c.c->close(kSessionEnded, "logged out");
}

void Publisher::device_active(const domain::Principal& who, std::int64_t at_ms) noexcept {
  try {
    impl_->seen(who.user_id, who.name, who.org_path, at_ms);
  } catch (...) {
    // presence is best effort (allocation failure)
  }
}

PublisherStats Publisher::stats() const {
  std::lock_guard lk(impl_->mu);
  PublisherStats s;
  s.connections = impl_->conns.size();
  s.subscribed = impl_->subscribed;
  s.seq = impl_->seq;
  s.events = impl_->events;
  s.deliveries = impl_->deliveries;
  return s;
}

}  // namespace patrol::live
