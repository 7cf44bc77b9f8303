// The one question the attachment routes ask of the database: does an
// inspection (or a hazard's history) at or below an org path name this photo? Kept apart from the
// Store interface (a read-only connection of its own on the same file) so the
// attachment scope check did not have to touch the store while it was being
// split; fold it into the reference/attachment store interface when convenient.
//
// Thread safety: named_in_scope() is thread-safe (one connection, one mutex;
// photo HEAD/GET requests are rare next to pushes).
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string_view>

#include "sqlite/database.hpp"
#include "store/errors.hpp"

namespace patrol::store {

class PhotoScope {
 public:
  // Opens `db_path` read-only (the database must exist: open after the store).
  [[nodiscard]] static result<std::unique_ptr<PhotoScope>> open(
      const std::filesystem::path& db_path);

  // true when some inspection whose org path starts with `scope_path` names
  // `sha256` among its items' photos, or some hazard there names it in a
  // transition of its history. unavailable on I/O errors.
  [[nodiscard]] result<bool> named_in_scope(std::string_view sha256, std::string_view scope_path);

 private:
  explicit PhotoScope(sqlite::Database db) : db_(std::move(db)) {}
  std::mutex mu_;
  sqlite::Database db_;
};

}  // namespace patrol::store
