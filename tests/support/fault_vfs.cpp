#include "test_support/fault_vfs.hpp"

#include <sqlite3.h>

#include <cstring>
#include <mutex>
#include <stdexcept>

namespace patrol::test {
namespace {

FaultVfs* g_faults = nullptr;
sqlite3_vfs* g_base = nullptr;
sqlite3_vfs g_vfs{};

// Our file handle: the io_methods pointer SQLite sees, then the wrapped
// file (base->szOsFile bytes) right after it.
struct File {
  sqlite3_file base;
  sqlite3_file* inner() { return reinterpret_cast<sqlite3_file*>(this + 1); }
};
File* F(sqlite3_file* f) {
  return reinterpret_cast<File*>(f);
}
sqlite3_file* I(sqlite3_file* f) {
  return F(f)->inner();
}

int fault(unsigned op, int code) {
  const int r = g_faults->check(op);
  if (r == SQLITE_OK) return SQLITE_OK;
  return r == SQLITE_FULL ? SQLITE_FULL : code;
}

int x_close(sqlite3_file* f) {
  const int rc = I(f)->pMethods ? I(f)->pMethods->xClose(I(f)) : SQLITE_OK;
  return rc;
}
int x_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
  if (int rc = fault(FaultVfs::kRead, SQLITE_IOERR_READ); rc != SQLITE_OK) return rc;
  return I(f)->pMethods->xRead(I(f), buf, n, off);
}
int x_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
  if (int rc = fault(FaultVfs::kWrite, SQLITE_IOERR_WRITE); rc != SQLITE_OK) return rc;
  return I(f)->pMethods->xWrite(I(f), buf, n, off);
}
int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (int rc = fault(FaultVfs::kWrite, SQLITE_IOERR_TRUNCATE); rc != SQLITE_OK) return rc;
  return I(f)->pMethods->xTruncate(I(f), size);
}
int x_sync(sqlite3_file* f, int flags) {
  if (int rc = fault(FaultVfs::kSync, SQLITE_IOERR_FSYNC); rc != SQLITE_OK) return rc;
  return I(f)->pMethods->xSync(I(f), flags);
}
int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return I(f)->pMethods->xFileSize(I(f), size);
}
int x_lock(sqlite3_file* f, int level) {
  if (int rc = fault(FaultVfs::kLock, SQLITE_IOERR_LOCK); rc != SQLITE_OK) return rc;
  return I(f)->pMethods->xLock(I(f), level);
}
int x_unlock(sqlite3_file* f, int level) {
  return I(f)->pMethods->xUnlock(I(f), level);
}
int x_check_reserved(sqlite3_file* f, int* out) {
  return I(f)->pMethods->xCheckReservedLock(I(f), out);
}
int x_file_control(sqlite3_file* f, int op, void* arg) {
  return I(f)->pMethods->xFileControl(I(f), op, arg);
}
int x_sector_size(sqlite3_file* f) {
  return I(f)->pMethods->xSectorSize(I(f));
}
int x_device_characteristics(sqlite3_file* f) {
  return I(f)->pMethods->xDeviceCharacteristics(I(f));
}
int x_shm_map(sqlite3_file* f, int pg, int pgsz, int extend, void volatile** pp) {
  return I(f)->pMethods->xShmMap(I(f), pg, pgsz, extend, pp);
}
int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  // Unlocking must always work, or SQLite's bookkeeping goes astray.
  if ((flags & SQLITE_SHM_LOCK) != 0) {
    if (int rc = fault(FaultVfs::kLock, SQLITE_IOERR_SHMLOCK); rc != SQLITE_OK) return rc;
  }
  return I(f)->pMethods->xShmLock(I(f), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* f) {
  I(f)->pMethods->xShmBarrier(I(f));
}
int x_shm_unmap(sqlite3_file* f, int del) {
  return I(f)->pMethods->xShmUnmap(I(f), del);
}
int x_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** pp) {
  // No memory-mapped reads: every page read goes through x_read.
  (void)f;
  (void)off;
  (void)n;
  *pp = nullptr;
  return SQLITE_OK;
}
int x_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
  return I(f)->pMethods->xUnfetch(I(f), off, p);
}

const sqlite3_io_methods kMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

int x_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  F(f)->base.pMethods = nullptr;
  if (int rc = fault(FaultVfs::kOpen, SQLITE_CANTOPEN); rc != SQLITE_OK) return rc;
  std::memset(I(f), 0, static_cast<std::size_t>(g_base->szOsFile));
  const int rc = g_base->xOpen(g_base, name, I(f), flags, out_flags);
  if (I(f)->pMethods != nullptr) F(f)->base.pMethods = &kMethods;
  return rc;
}
int x_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int x_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int x_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* x_dl_open(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void x_dl_error(sqlite3_vfs*, int n, char* msg) {
  g_base->xDlError(g_base, n, msg);
}
void (*x_dl_sym(sqlite3_vfs*, void* h, const char* sym))(void) {
  return g_base->xDlSym(g_base, h, sym);
}
void x_dl_close(sqlite3_vfs*, void* h) {
  g_base->xDlClose(g_base, h);
}
int x_randomness(sqlite3_vfs*, int n, char* out) {
  return g_base->xRandomness(g_base, n, out);
}
int x_sleep(sqlite3_vfs*, int us) {
  return g_base->xSleep(g_base, us);
}
int x_current_time(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int x_get_last_error(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError(g_base, n, out);
}
int x_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}

}  // namespace

FaultVfs& FaultVfs::install() {
  static std::once_flag once;
  static FaultVfs* instance = nullptr;
  std::call_once(once, [] {
    instance = new FaultVfs();  // lives as long as the process: SQLite keeps a pointer
    g_faults = instance;
    sqlite3_initialize();
    g_base = sqlite3_vfs_find(nullptr);
    if (g_base == nullptr || g_base->iVersion < 2)
      throw std::runtime_error("FaultVfs: no usable default SQLite VFS");
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(sizeof(File)) + g_base->szOsFile;
    g_vfs.mxPathname = g_base->mxPathname;
    g_vfs.zName = "patrol-fault";
    g_vfs.xOpen = x_open;
    g_vfs.xDelete = x_delete;
    g_vfs.xAccess = x_access;
    g_vfs.xFullPathname = x_full_pathname;
    g_vfs.xDlOpen = x_dl_open;
    g_vfs.xDlError = x_dl_error;
    g_vfs.xDlSym = x_dl_sym;
    g_vfs.xDlClose = x_dl_close;
    g_vfs.xRandomness = x_randomness;
    g_vfs.xSleep = x_sleep;
    g_vfs.xCurrentTime = x_current_time;
    g_vfs.xGetLastError = x_get_last_error;
    g_vfs.xCurrentTimeInt64 = x_current_time_int64;
    if (sqlite3_vfs_register(&g_vfs, 1) != SQLITE_OK)
      throw std::runtime_error("FaultVfs: sqlite3_vfs_register failed");
  });
  instance->disarm();
  return *instance;
}

void FaultVfs::fail_all(unsigned ops, bool disk_full) {
  fail_nth(ops, 1, true, disk_full);
}

void FaultVfs::fail_nth(unsigned ops, std::uint64_t n, bool sticky, bool disk_full) {
  ops_.store(0);
  calls_.store(0);
  failures_.store(0);
  nth_.store(n == 0 ? 1 : n);
  sticky_.store(sticky);
  disk_full_.store(disk_full);
  ops_.store(ops);
}

void FaultVfs::disarm() {
  ops_.store(0);
}

int FaultVfs::check(unsigned op) {
  if ((ops_.load() & op) == 0) return SQLITE_OK;
  const auto call = calls_.fetch_add(1) + 1;
  const auto n = nth_.load();
  if (call < n || (call > n && !sticky_.load())) return SQLITE_OK;
  failures_.fetch_add(1);
  return (disk_full_.load() && op == kWrite) ? SQLITE_FULL : SQLITE_IOERR;
}

}  // namespace patrol::test
