// The real patrold binary as a child process on 127.0.0.1:<ephemeral>, for the
// SDK's integration tests (kill -9 and restart on the same data dir included),
// and a self-removing temp dir.
//
// Thread safety: one owner thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace patrol::test {

class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class PatroldChild {
 public:
  // Starts `patrold --listen 127.0.0.1:0 --data-dir DIR [--demo]` and waits up
  // to 60 s for its "patrold listening on https://…:PORT" line; throws
  // std::runtime_error (with the tail of its log) otherwise.
  // `extra_args` are appended (e.g. {"--database", "postgresql://…"}).
  explicit PatroldChild(const std::filesystem::path& data_dir, bool demo = true,
                        std::vector<std::string> extra_args = {});
  ~PatroldChild();  // kill -9 and reap
  PatroldChild(const PatroldChild&) = delete;
  PatroldChild& operator=(const PatroldChild&) = delete;
  std::uint16_t port() const { return port_; }
  void kill9();

 private:
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace patrol::test
