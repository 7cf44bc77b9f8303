#include "store/sqlite_readers.hpp"

namespace patrol::store::detail {

SqliteReaders::Lease::~Lease() {
  if (db_) {
    reset_all(*db_);
    pool_->release(std::move(db_));
  }
}

void SqliteReaders::add(std::unique_ptr<sqlite::Database> db) {
  std::lock_guard lk(mu_);
  free_.push_back(std::move(db));
  ++total_;
}

SqliteReaders::Lease SqliteReaders::acquire() {
  std::unique_lock lk(mu_);
  cv_.wait(lk, [&] { return closed_ || !free_.empty(); });
  if (closed_) return Lease(this, nullptr);
  auto db = std::move(free_.back());
  free_.pop_back();
  return Lease(this, std::move(db));
}

void SqliteReaders::close() {
  std::unique_lock lk(mu_);
  if (closed_) return;
  cv_.wait(lk, [&] { return free_.size() == total_; });
  closed_ = true;
  free_.clear();
  cv_.notify_all();
}

void SqliteReaders::release(std::unique_ptr<sqlite::Database> db) {
  {
    std::lock_guard lk(mu_);
    free_.push_back(std::move(db));
  }
  cv_.notify_all();
}

}  // namespace patrol::store::detail
