// SiteCache — the sites sync/push reads per op (OpValidator::visible_site),
// kept in memory so a push can be validated on the connection's own I/O
// thread without a store read (issue 9: no I/O thread -> worker hop).
//
// Correctness: every entry was read from the store under the generation it
// is kept under. Every write that can change what a site lookup answers
// (put_site, delete_site, team and user writes, a site-moving seed) calls
// invalidate() AFTER its commit: the generation moves on and every entry
// goes. A read racing such a write reads the generation BEFORE the store
// read; put() drops the entry when the generation moved meanwhile, so an
// entry read before the commit never outlives its invalidate(). A push
// validated between the commit and its invalidate() is concurrent with the
// write (its response not sent yet), as with a store read.
//
// Other nodes (PostgreSQL): their site/team/user writes NOTIFY
// `patrol_sites` in the same transaction; this node's listener calls
// invalidate() on each and set_enabled(false) while its connection is down
// (notifications may be lost then), so the cache answers nothing until the
// listener is back and has invalidated. What another node commits is seen
// here after the notification's delivery (about a millisecond on a LAN).
// A listener connection that dies without the socket noticing would lose
// notifications unseen: PgStore also gives entries a maximum age
// (set_max_age, 2 s), so such a write takes effect within that at worst.
//
// Only sites that exist are kept (a miss falls back to the store), so the
// size is bounded by the sites table; cleared when over kMaxEntries anyway.
//
// Thread safety: every member is thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/entities.hpp"

namespace patrol::store {

class SiteCache {
 public:
  static constexpr std::size_t kMaxEntries = 200000;

  // The generation to pass to put(): read it BEFORE the store read.
  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

  // The cached site, or nullptr (not cached, or the cache is disabled).
  // Never blocks on I/O (a shared lock held for a hash lookup).
  std::shared_ptr<const Site> get(std::string_view id) const {
    if (!enabled_.load(std::memory_order_acquire)) return nullptr;
    std::shared_lock lk(mu_);
    auto it = map_.find(id);
    if (it == map_.end()) return nullptr;
    if (max_age_.count() > 0 && Clock::now() - it->second.born > max_age_) return nullptr;
    return it->second.site;
  }

  // Keeps `s` (read from the store after generation() returned `gen`),
  // unless the generation moved on since or the cache is disabled.
  void put(const Site& s, std::uint64_t gen) {
    auto p = std::make_shared<const Site>(s);
    std::unique_lock lk(mu_);
    if (gen != generation_.load(std::memory_order_acquire) ||
        !enabled_.load(std::memory_order_acquire))
      return;
    if (map_.size() >= kMaxEntries) map_.clear();
    map_.insert_or_assign(p->id, Entry{p, Clock::now()});
  }

  // After a committed write that may change a site lookup: drops everything.
  void invalidate() {
    std::unique_lock lk(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    map_.clear();
  }

  // Disabled (another node's writes may go unseen): get() misses, put()
  // keeps nothing. Enabling starts from an empty cache.
  void set_enabled(bool on) {
    std::unique_lock lk(mu_);
    generation_.fetch_add(1, std::memory_order_acq_rel);
    map_.clear();
    enabled_.store(on, std::memory_order_release);
  }
  bool enabled() const { return enabled_.load(std::memory_order_acquire); }

  // Entries older than `age` miss (0: no limit, the default). Set before use.
  void set_max_age(std::chrono::milliseconds age) { max_age_ = age; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::shared_ptr<const Site> site;
    Clock::time_point born;
  };
  mutable std::shared_mutex mu_;
  std::chrono::milliseconds max_age_{0};
  std::atomic<std::uint64_t> generation_{1};
  std::atomic<bool> enabled_{true};
  std::unordered_map<std::string, Entry, Hash, std::equal_to<>> map_;
};

}  // namespace patrol::store
