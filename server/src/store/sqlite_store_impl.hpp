// Internal to the SQLite store: what every sqlite_<use case>.cpp reaches
// through SqliteStore::impl_ — the reader pool for queries (readers.read) and
// the writer for writes (writer->write, run on the writer thread in a group
// commit). The SQL of a use case lives in its own file.
#pragma once

#include <memory>

#include "store/site_cache.hpp"
#include "store/sqlite_checkpointer.hpp"
#include "store/sqlite_readers.hpp"
#include "store/sqlite_store.hpp"
#include "store/sqlite_support.hpp"
#include "store/sqlite_writer.hpp"

namespace patrol::store {

struct SqliteStore::Impl {
  SqliteStoreOptions opts;
  detail::SqliteReaders readers;
  SiteCache sites;  // invalidated after every site/team/user write
  std::unique_ptr<detail::SqliteCheckpointer> checkpointer;
  std::unique_ptr<detail::SqliteWriter> writer;  // declared last: stops first
};

}  // namespace patrol::store
