#include "store/errors.hpp"

#include <string>

#include "sqlite/database.hpp"

namespace patrol::store {
namespace {

class StoreCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "store"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::ok:
        return "ok";
      case errc::not_found:
        return "not found";
      case errc::conflict:
        return "conflicts with stored data";
      case errc::unavailable:
        return "storage temporarily unavailable";
      case errc::shutting_down:
        return "store is shutting down";
      case errc::internal:
        return "internal storage error";
    }
    return "unknown store error";
  }
};

}  // namespace

const boost::system::error_category& store_category() noexcept {
  static const StoreCategory category;
  return category;
}

boost::system::error_code from_sqlite(const boost::system::error_code& ec) noexcept {
  if (!ec) return {};
  if (ec.category() == store_category()) return ec;
  if (sqlite::is_transient(ec)) return errc::unavailable;
  if (sqlite::is_constraint(ec)) return errc::conflict;
  return errc::internal;
}

}  // namespace patrol::store
