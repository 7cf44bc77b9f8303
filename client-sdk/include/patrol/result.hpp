// patrol::Error and patrol::Result<T>: how every fallible call of the C++ SDK
// reports failure. No exception leaves the SDK's public functions; a failure is
// a value carrying a stable code, a human-readable message and whether trying
// again later may succeed (network down, server busy, disk momentarily full).
//
// Thread safety: plain values; safe to copy and move between threads.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace patrol {

// Stable codes; the C API exposes the same numbers (patrol.h, PATROL_ERR_*).
enum class ErrorCode : std::int32_t {
  ok = 0,
  invalid_argument = 1,  // the caller passed something malformed
  not_found = 2,         // unknown site/template/round/report, or nothing cached yet
  not_logged_in = 3,     // no session, or the server said the token expired: log in again
  auth_failed = 4,       // wrong phone/password
  network = 5,           // could not reach the server (connect, TLS, reset, timeout)
  server = 6,            // the server answered with an error status
  protocol = 7,          // the server's answer was unusable (garbage, wrong shape, too big)
  storage = 8,           // the device database or the file store failed
  offline = 9,           // the device is set offline; nothing is sent
  rejected = 10,         // the server rejected an op (see dead letters)
  internal = 11,         // a bug: should not happen
};

// Short stable name of a code, e.g. "network".
const char* to_string(ErrorCode c) noexcept;

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
  bool retryable = false;
};

// Holds either a T or an Error. Check with has_value()/operator bool before
// dereferencing; value() on an error is a programming mistake (asserted).
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T v) : v_(std::in_place_index<0>, std::move(v)) {}  // NOLINT(google-explicit-constructor)
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}  // NOLINT
  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that yields nothing on success.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}  // NOLINT
  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool ok_ = true;
};
using Status = Result<void>;

inline Error make_error(ErrorCode code, std::string message, bool retryable = false) {
  return Error{code, std::move(message), retryable};
}

}  // namespace patrol
