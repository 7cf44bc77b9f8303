// What the API tells a component beside it (the live feed) about things that
// happened, so that component need not look at requests itself.
//
// Thread safety: implementations are called from the writer thread
// (committed) and from the blocking worker pool (the others), concurrently;
// every function must be thread-safe, quick and must not throw.
#pragma once

#include <cstdint>
#include <string_view>

#include "domain/principal.hpp"

namespace patrol::api {

class ApiObserver {
 public:
  virtual ~ApiObserver() = default;
  // A group commit succeeded: there may be new rows to tail (change log,
  // inspections, positions). Called on the store's single writer thread.
  virtual void committed() noexcept = 0;
  // A session ended (logout): connections authenticated with it must go.
  virtual void session_ended(std::string_view token_hash) noexcept = 0;
  // A device of `who` synced (push or pull) or sent a tracker position at
  // `at_ms` (Unix ms): presence.
  virtual void device_active(const domain::Principal& who, std::int64_t at_ms) noexcept = 0;
};

}  // namespace patrol::api
