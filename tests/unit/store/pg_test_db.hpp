// A fresh PostgreSQL database per test, on the throwaway cluster ctest starts
// as fixture `pg` (scripts/pg-throwaway.sh, fsync off). ctest passes the
// cluster's info file in PATROL_TEST_PG_INFO; without it (a test binary run
// by hand) configured() is false and PostgreSQL tests skip. When it is set
// but the cluster is not there, the tests fail rather than skip.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include "store/pg_support.hpp"

namespace patrol::store {

class PgTestDb {
 public:
  static bool configured() { return std::getenv("PATROL_TEST_PG_INFO") != nullptr; }

  // The cluster's admin conninfo (the info file's first line).
  static std::string admin_conninfo() {
    const char* f = std::getenv("PATROL_TEST_PG_INFO");
    if (!f) throw std::runtime_error("PATROL_TEST_PG_INFO not set");
    std::ifstream in(f);
    std::string line;
    if (!std::getline(in, line) || line.empty())
      throw std::runtime_error(std::string("no PostgreSQL cluster info in ") + f);
    return line;
  }

  PgTestDb() {
    std::random_device rd;
    name_ = "patrol_t" + std::to_string(rd()) + std::to_string(rd());
    admin_exec("CREATE DATABASE " + name_ + " TEMPLATE template0");
  }
  ~PgTestDb() {
    try {
      admin_exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    } catch (...) {
    }
  }
  PgTestDb(const PgTestDb&) = delete;
  PgTestDb& operator=(const PgTestDb&) = delete;

  std::string conninfo() const { return admin_conninfo() + " dbname=" + name_; }

 private:
  static void admin_exec(const std::string& sql) {
    std::string why;
    auto c = pg::Conn::open(admin_conninfo(), &why);
    if (!c) throw std::runtime_error("cannot connect to the test cluster: " + why);
    (*c)->exec(sql);
  }
  std::string name_;
};

}  // namespace patrol::store
