// A fault-injecting SQLite VFS for tests: wraps the process's default VFS and
// makes chosen I/O calls fail with SQLITE_IOERR (or SQLITE_FULL for writes
// when asked), so a test shows what the server does when the disk misbehaves
// instead of arguing it. Nothing in the code under test changes: install()
// registers the shim as SQLite's default VFS, and every database opened
// afterwards (patrold's writer and readers included) goes through it.
//
// Thread safety: every member may be called from any thread; the counters are
// atomics read by SQLite's calls on the store's threads.
#pragma once

#include <atomic>
#include <cstdint>

namespace patrol::test {

class FaultVfs {
 public:
  // Kinds of calls that can be failed (bit flags).
  enum Op : unsigned {
    kRead = 1u << 0,   // xRead of any file (database, WAL, journal)
    kWrite = 1u << 1,  // xWrite / xTruncate
    kSync = 1u << 2,   // xSync
    kLock = 1u << 3,   // xLock and xShmLock: starting any transaction
    kOpen = 1u << 4,   // xOpen of a new file handle
    kAll = 0x1f,
  };

  // Registers the shim as the default VFS once per process (idempotent) and
  // returns it, disarmed. Call before the databases under test are opened.
  static FaultVfs& install();

  // From now on every call of the kinds in `ops` fails until disarm().
  void fail_all(unsigned ops, bool disk_full = false);
  // The n-th call (1-based, counted from now) of the kinds in `ops` fails,
  // and every later one too while `sticky`; otherwise only that one.
  void fail_nth(unsigned ops, std::uint64_t n, bool sticky = false, bool disk_full = false);
  void disarm();
  // Calls of the armed kinds seen since the last arm, and failures injected.
  std::uint64_t calls() const { return calls_.load(); }
  std::uint64_t failures() const { return failures_.load(); }

  // Internal: whether the call of kind `op` happening now fails, and with which code.
  int check(unsigned op);

 private:
  FaultVfs() = default;
  std::atomic<unsigned> ops_{0};
  std::atomic<std::uint64_t> nth_{0};  // 0: every call
  std::atomic<bool> sticky_{false};
  std::atomic<bool> disk_full_{false};
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> failures_{0};
};

// Disarms the fault VFS however the test ends (a failed assertion included).
struct DisarmOnExit {
  FaultVfs& vfs;
  ~DisarmOnExit() { vfs.disarm(); }
};

}  // namespace patrol::test
