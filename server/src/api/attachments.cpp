#include "api/attachments.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

namespace patrol::api {
namespace fs = std::filesystem;

namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool fsync_dir(const fs::path& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  return d.fd >= 0 && ::fsync(d.fd) == 0;
}

std::optional<std::string> sha256_file(const fs::path& p) {
  Fd f(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1) return std::nullopt;
  std::array<char, 1 << 16> buf;
  for (;;) {
    ssize_t n = ::read(f.fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;
    }
    if (n == 0) break;
    EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n));
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned len = 0;
  EVP_DigestFinal_ex(ctx.get(), md.data(), &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

}  // namespace

bool is_sha256_hex(std::string_view s) noexcept {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

AttachmentFiles::AttachmentFiles(fs::path dir) : dir_(std::move(dir)) {
  // Photos are evidence about people's homes: owner only (0700 dirs, 0600 files).
  const bool created = !fs::exists(dir_);
  fs::create_directories(dir_ / "partial");
  if (created) {
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace);
    fs::permissions(dir_ / "partial", fs::perms::owner_all, fs::perm_options::replace);
  }
}

fs::path AttachmentFiles::final_path(std::string_view sha) const {
  return dir_ / std::string(sha.substr(0, 2)) / std::string(sha);
}
fs::path AttachmentFiles::owner_dir(std::string_view owner) const {
  // User ids are UUIDs; anything else is hex-encoded so it is always one plain name.
  const bool plain = !owner.empty() && owner.size() <= 64 &&
                     std::all_of(owner.begin(), owner.end(), [](unsigned char c) {
                       return std::isalnum(c) || c == '-' || c == '_';
                     });
  std::string name;
  if (plain) {
    name = std::string(owner);
  } else {
    static constexpr char kHex[] = "0123456789abcdef";
    name = "x";
    for (unsigned char c : owner.substr(0, 100)) {
      name += kHex[c >> 4];
      name += kHex[c & 15];
    }
  }
  return dir_ / "partial" / name;
}
fs::path AttachmentFiles::partial_path(std::string_view owner, std::string_view sha) const {
  return owner_dir(owner) / (std::string(sha) + ".part");
}
fs::path AttachmentFiles::done_path(std::string_view owner, std::string_view sha) const {
  return owner_dir(owner) / (std::string(sha) + ".done");
}

std::shared_ptr<std::mutex> AttachmentFiles::lock_for(std::string_view sha) {
  std::lock_guard lk(mu_);
  auto it = locks_.find(sha);
  if (it != locks_.end()) {
    if (auto m = it->second.lock()) return m;
  }
  auto m = std::make_shared<std::mutex>();
  locks_[std::string(sha)] = m;
  if (locks_.size() > 1024) {  // forget finished uploads
    for (auto i = locks_.begin(); i != locks_.end();)
      i = i->second.expired() ? locks_.erase(i) : std::next(i);
  }
  return m;
}

std::optional<AttachmentFiles::Status> AttachmentFiles::partial_status(std::string_view owner,
                                                                       std::string_view sha) {
  std::error_code ec;
  auto part = fs::file_size(partial_path(owner, sha), ec);
  if (!ec) return Status{static_cast<std::int64_t>(part), false};
  return std::nullopt;
}

std::optional<AttachmentFiles::Status> AttachmentFiles::complete_status(std::string_view sha) {
  std::error_code ec;
  auto done = fs::file_size(final_path(sha), ec);
  if (!ec) return Status{static_cast<std::int64_t>(done), true};
  return std::nullopt;
}

bool AttachmentFiles::uploaded_by(std::string_view owner, std::string_view sha) {
  std::error_code ec;
  return fs::exists(done_path(owner, sha), ec);
}

std::size_t AttachmentFiles::sweep(std::chrono::seconds max_age) {
  const auto cutoff = fs::file_time_type::clock::now() - max_age;
  std::size_t removed = 0;
  std::error_code ec;
  auto old = [&](const fs::path& p) {
    std::error_code e;
    const auto t = fs::last_write_time(p, e);
    return !e && t < cutoff;
  };
  for (fs::directory_iterator it(dir_ / "partial", ec), end; !ec && it != end; it.increment(ec)) {
    const auto& p = it->path();
    std::error_code e;
    if (it->is_directory(e)) {
      for (fs::directory_iterator f(p, e), fend; !e && f != fend; f.increment(e)) {
        // Same lock as put(): never remove a file an upload is writing.
        const auto sha = f->path().stem().string();
        auto lock = lock_for(sha);
        std::lock_guard lk(*lock);
        std::error_code re;
        if (old(f->path()) && fs::remove(f->path(), re)) ++removed;
      }
      std::error_code re;
      if (fs::is_empty(p, re) && !re && old(p)) fs::remove(p, re);
    } else if (old(p)) {
      // A partial file of the old layout (partial/<sha>.part, before owners).
      std::error_code re;
      if (fs::remove(p, re)) ++removed;
    }
  }
  return removed;
}

bool AttachmentFiles::recorded(std::string_view sha) {
  std::lock_guard lk(mu_);
  return recorded_.find(sha) != recorded_.end();
}

void AttachmentFiles::mark_recorded(std::string_view sha) {
  std::lock_guard lk(mu_);
  if (recorded_.size() >= 100000) recorded_.clear();
  recorded_.emplace(sha);
}

AttachmentFiles::Verify AttachmentFiles::verify_final(std::string_view sha) {
  auto lock = lock_for(sha);
  std::lock_guard lk(*lock);
  fs::path final = final_path(sha);
  auto digest = sha256_file(final);
  if (!digest) return Verify::io;
  if (*digest == sha) return Verify::ok;
  std::error_code ec;
  fs::remove(final, ec);
  return ec ? Verify::io : Verify::removed;
}

AttachmentFiles::PutResult AttachmentFiles::put(std::string_view owner, std::string_view sha,
                                                std::int64_t start, std::int64_t total,
                                                std::string_view data, std::int64_t quota_bytes) {
  auto lock = lock_for(sha);
  std::lock_guard lk(*lock);
  PutResult r;
  if (total > kMaxSize) {
    r.error = PutError::too_large;
    return r;
  }
  std::error_code ec;
  if (auto done = fs::file_size(final_path(sha), ec); !ec && uploaded_by(owner, sha)) {
    r.status = {static_cast<std::int64_t>(done), true};
    return r;  // this owner completed it already: a retried last chunk is idempotent
  }
  const fs::path dir = owner_dir(owner);
  if (fs::create_directory(dir, ec) && !ec)
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) {
    r.error = PutError::io;
    return r;
  }
  fs::path part = partial_path(owner, sha);
  Fd f(::open(part.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  if (f.fd < 0) {
    r.error = PutError::io;
    return r;
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) {
    r.error = PutError::io;
    return r;
  }
  std::int64_t have = st.st_size;
  r.status = {have, false};
  if (start != have) {
    if (have == 0) fs::remove(part, ec);  // nothing received: leave no trace
    r.error = PutError::offset_mismatch;
    return r;
  }
  // The owner's other partial uploads count against the quota too (a racing
  // upload of another hash may overshoot by one chunk: a bound, not a ledger).
  std::int64_t held = 0;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code e;
    if (it->path().extension() == ".part" && it->path() != part)
      held += static_cast<std::int64_t>(it->file_size(e));
  }
  if (held + have + static_cast<std::int64_t>(data.size()) > quota_bytes) {
    if (have == 0) fs::remove(part, ec);
    r.error = PutError::quota;
    return r;
  }
  if (::lseek(f.fd, have, SEEK_SET) < 0 || !write_all(f.fd, data) || ::fsync(f.fd) != 0) {
    // Never leave unacknowledged bytes behind: resume exactly at `have`.
    (void)::ftruncate(f.fd, have);
    r.error = PutError::io;
    return r;
  }
  have += static_cast<std::int64_t>(data.size());
  r.status = {have, false};
  if (have < total) return r;

  auto digest = sha256_file(part);
  if (!digest) {
    r.error = PutError::io;
    return r;
  }
  if (*digest != sha || have != total) {
    fs::remove(part, ec);
    r.error = PutError::hash_mismatch;
    r.status = {0, false};
    return r;
  }
  fs::path final = final_path(sha);
  if (auto done = fs::file_size(final, ec); !ec) {
    // Stored already (another uploader): this one proved they hold the bytes.
    fs::remove(part, ec);
    Fd marker(::open(done_path(owner, sha).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
    r.status = {static_cast<std::int64_t>(done), true};
    return r;
  }
  if (fs::create_directories(final.parent_path(), ec) && !ec)
    fs::permissions(final.parent_path(), fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec || ::rename(part.c_str(), final.c_str()) != 0 || !fsync_dir(final.parent_path()) ||
      !fsync_dir(part.parent_path())) {
    r.error = PutError::io;
    return r;
  }
  // The uploader keeps seeing their photo until an inspection names it.
  Fd marker(::open(done_path(owner, sha).c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
  r.status = {have, true};
  r.verified = true;
  return r;
}

}  // namespace patrol::api
