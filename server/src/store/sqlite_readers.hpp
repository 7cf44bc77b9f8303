// Internal to the SQLite store: the pool of read-only connections that serve
// every query, and read(), the entry point of a query body.
//
// Thread safety: all members are thread-safe. A Lease is used by one thread.
#pragma once

#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "sqlite/database.hpp"
#include "store/errors.hpp"
#include "store/sqlite_support.hpp"

namespace patrol::store::detail {

class SqliteReaders {
 public:
  // A connection borrowed from the pool; returned (all its statements reset,
  // so no snapshot pins the WAL) when the lease ends.
  class Lease {
   public:
    Lease(SqliteReaders* pool, std::unique_ptr<sqlite::Database> db)
        : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    sqlite::Database& operator*() { return *db_; }
    explicit operator bool() const { return static_cast<bool>(db_); }

   private:
    SqliteReaders* pool_;
    std::unique_ptr<sqlite::Database> db_;
  };

  // Adds an open (read-only) connection to the pool.
  void add(std::unique_ptr<sqlite::Database> db);
  // Waits for a free connection; an empty lease once close() ran.
  Lease acquire();
  // Waits for every lease to come back, then closes all connections. Idempotent.
  void close();

  // Runs `fn(Database&)` on a pooled connection and returns its value as a
  // result: Failure → its error (mapped by from_sqlite), NotFound →
  // not_found, any other exception → internal, closed pool → shutting_down.
  template <class F>
  auto read(F fn) -> result<decltype(fn(std::declval<sqlite::Database&>()))> {
    using R = result<decltype(fn(std::declval<sqlite::Database&>()))>;
    auto err = [](boost::system::error_code ec) { return R(boost::system::in_place_error, ec); };
    try {
      auto lease = acquire();
      if (!lease) return err(errc::shutting_down);
      return fn(*lease);
    } catch (const Failure& f) {
      return err(from_sqlite(f.ec));
    } catch (const NotFound&) {
      return err(errc::not_found);
    } catch (const std::exception&) {
      return err(errc::internal);
    }
  }

 private:
  void release(std::unique_ptr<sqlite::Database> db);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<sqlite::Database>> free_;
  std::size_t total_ = 0;
  bool closed_ = false;
};

}  // namespace patrol::store::detail
