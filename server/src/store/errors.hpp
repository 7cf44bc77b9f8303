// The store's error channel: every Store function returns
// boost::system::result<T> whose error is in store_category() (or, for
// unexpected SQLite failures, wraps into `internal`).
#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>
#include <type_traits>

namespace patrol::store {

enum class errc {
  ok = 0,
  not_found = 1,  // no such row (or not visible)
  conflict,       // unique/foreign-key violation: the write contradicts stored data
  unavailable,    // disk full, I/O error, busy: retry later (HTTP 503); nothing was written
  shutting_down,  // the store no longer accepts work
  internal,       // a bug or a corrupt database
};

const boost::system::error_category& store_category() noexcept;

inline boost::system::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), store_category()};
}

template <class T>
using result = boost::system::result<T>;

// Maps a SQLite error (patrol::sqlite category) to a store error: transient
// ones (full, I/O, busy) to `unavailable`, constraints to `conflict`, the rest
// to `internal`. Errors already in store_category() pass through.
boost::system::error_code from_sqlite(const boost::system::error_code& ec) noexcept;

}  // namespace patrol::store

namespace boost::system {
template <>
struct is_error_code_enum<patrol::store::errc> : std::true_type {};
}  // namespace boost::system
