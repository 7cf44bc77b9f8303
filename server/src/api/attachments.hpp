// Content-addressed photo files under DATA_DIR/attachments, uploaded in
// resumable chunks. A partial upload belongs to its uploader: it lives in
// partial/<owner>/<sha256>.part (each chunk fsynced before it is
// acknowledged), so another user can neither continue nor probe it, and the
// bytes one user may hold in partial files are bounded (quota). The last chunk
// triggers a SHA-256 check of the whole file, then fsync + rename to
// <aa>/<sha256> + fsync of the directory, so a file under its hash name is
// always complete and correct. A user who completes an upload of a file that
// is already stored (they proved they hold the bytes) keeps a marker
// partial/<owner>/<sha256>.done, so their own upload stays visible to them
// until an inspection in their scope names it. sweep() removes partial files
// and markers nobody touched for a while (abandoned uploads).
//
// Thread safety: all member functions are thread-safe; uploads of the same
// hash are serialized, different hashes proceed in parallel. Blocking I/O.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace patrol::api {

class AttachmentFiles {
 public:
  // Creates the directories if needed; throws std::filesystem::filesystem_error if it cannot.
  explicit AttachmentFiles(std::filesystem::path dir);

  struct Status {
    std::int64_t received = 0;  // bytes stored so far
    bool complete = false;
  };

  enum class PutError { none, offset_mismatch, hash_mismatch, too_large, quota, io };
  struct PutResult {
    PutError error = PutError::none;
    Status status;
    bool verified = false;  // complete and hashed by this call (not found complete already)
  };

  static constexpr std::int64_t kMaxSize = 32 << 20;  // one photo

  // `owner` is the uploader's user id (any string; it is mapped to a safe
  // directory name).

  // The owner's partial upload of this hash, if any (complete = false).
  std::optional<Status> partial_status(std::string_view owner, std::string_view sha256);
  // The stored complete file, if any (complete = true). Who may learn of it is
  // the caller's decision (handlers: named in scope, or uploaded by the caller).
  std::optional<Status> complete_status(std::string_view sha256);
  // Whether `owner` completed an upload of this hash (marker not yet swept).
  bool uploaded_by(std::string_view owner, std::string_view sha256);

  // Writes bytes [start, start+data.size()) of the owner's upload of a file
  // of `total` bytes. offset_mismatch when start != bytes received (status
  // tells where to resume); quota when the owner's partial files would exceed
  // `quota_bytes` together; hash_mismatch when the completed file does not
  // hash to sha256 (the partial file is discarded); io on a write/fsync/rename
  // failure (the partial file is truncated back to what was acknowledged).
  PutResult put(std::string_view owner, std::string_view sha256, std::int64_t start,
                std::int64_t total, std::string_view data, std::int64_t quota_bytes);

  // Removes partial files and markers last written before now - max_age, and
  // owner directories left empty. Returns how many files it removed.
  std::size_t sweep(std::chrono::seconds max_age);

  std::filesystem::path final_path(std::string_view sha256) const;

  // A complete file is renamed into place BEFORE its attachments row commits,
  // so a crash (or a store failure) in between leaves a complete file without
  // a row. The handlers therefore treat a complete file as uploaded only once
  // its row is known to be committed: recorded() says whether this process has
  // seen attachment_stored() succeed for the hash (mark_recorded() after it).
  // The memory is bounded (forgotten wholesale when it grows large; the cost
  // is one more verify + idempotent attachment_stored per hash).
  bool recorded(std::string_view sha256);
  void mark_recorded(std::string_view sha256);

  enum class Verify { ok, removed, io };
  // Re-hashes the complete file: ok when it hashes to its name; removed when it
  // did not (it is deleted, so the hash reads as never uploaded and the device
  // sends it again); io when it cannot be read.
  Verify verify_final(std::string_view sha256);

 private:
  std::filesystem::path owner_dir(std::string_view owner) const;
  std::filesystem::path partial_path(std::string_view owner, std::string_view sha256) const;
  std::filesystem::path done_path(std::string_view owner, std::string_view sha256) const;
  std::shared_ptr<std::mutex> lock_for(std::string_view sha256);

  std::filesystem::path dir_;
  std::mutex mu_;
  std::map<std::string, std::weak_ptr<std::mutex>, std::less<>> locks_;
  std::set<std::string, std::less<>> recorded_;  // guarded by mu_
};

// True for 64 lower-case hex characters.
bool is_sha256_hex(std::string_view s) noexcept;

}  // namespace patrol::api
