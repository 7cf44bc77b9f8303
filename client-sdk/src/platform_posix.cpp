#include "platform.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace patrol::sdk::platform {
namespace {
Status fsync_path(const std::filesystem::path& p, int flags, bool tolerate_einval) {
  const int fd = ::open(p.c_str(), flags);
  if (fd < 0)
    return make_error(ErrorCode::storage, "open " + p.string() + ": " + std::strerror(errno), true);
  int rc = 0;
#if defined(__APPLE__)
  // F_FULLFSYNC: through the drive's cache (plain fsync stops before it on
  // Apple platforms); some file systems refuse it, then fsync is all there is.
  rc = ::fcntl(fd, F_FULLFSYNC);
  if (rc != 0) {
    do {
      rc = ::fsync(fd);
    } while (rc != 0 && errno == EINTR);
  }
#else
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
#endif
  const int err = errno;
  ::close(fd);
  if (rc != 0 && !(tolerate_einval && (err == EINVAL || err == EBADF)))
    return make_error(ErrorCode::storage, "fsync " + p.string() + ": " + std::strerror(err), true);
  return {};
}
}  // namespace

Status sync_file(const std::filesystem::path& p) {
  return fsync_path(p, O_RDONLY, false);
}

Status sync_dir(const std::filesystem::path& dir) {
  // Some file systems refuse fsync on a directory (EINVAL): nothing to do there.
  return fsync_path(dir, O_RDONLY, true);
}

const char* sqlite_durability_pragmas() noexcept {
#if defined(__APPLE__)
  return "PRAGMA fullfsync=ON; PRAGMA checkpoint_fullfsync=ON;";
#else
  return "";
#endif
}

}  // namespace patrol::sdk::platform
