// patrol_bench_sqlite: the storage limit beside the server benchmark.
//
// Honest by construction: nothing here describes a table or a statement. The
// database is made by the server's own SqliteStore::open (its migrations, its
// PRAGMAs: WAL, synchronous=FULL, foreign keys; its checkpointer) and seeded
// with the same demo data as `patrold --demo`; the batches are the very push
// bodies patrol_bench_push sends (push_ops.hpp), decoded and validated by the
// server's own domain::OpValidator, and written by the store's own
// apply_ops — the ops record, the inspection with its items column, the
// hazards, occurrences and change-log rows, every index and constraint.
// What is left out is the server around it: TLS, HTTP, JSON parsing and
// validation (done before the clock starts), the worker pool, the group commit
// of many requests. One caller thread, one transaction per batch.
//
// Prints one JSON line per batch size: rows (ops) per second of write time.
#include <algorithm>
#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "domain/demo_seed.hpp"
#include "domain/ops.hpp"
#include "patrol/wire/messages.hpp"
#include "push_ops.hpp"
#include "store/sqlite_store.hpp"

namespace json = boost::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace patrol;

namespace {

constexpr std::string_view kVolunteerPhone = "13900000002";  // as patrol_bench_push logs in

struct Fixture {
  std::unique_ptr<store::SqliteStore> store;
  domain::Principal who;
  std::vector<bench::SiteRef> sites;
};

Fixture open_seeded(const fs::path& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  store::SqliteStoreOptions so;
  so.db_path = dir / "patrol.db";
  auto st = store::SqliteStore::open(so);
  if (!st) throw std::runtime_error("cannot open the store: " + st.error().message());
  Fixture f;
  f.store = std::move(*st);
  const store::Ms now = wire::now_millis().time_since_epoch().count();
  // The password hash is never checked here: skip the KDF.
  auto seed = domain::demo_seed(now, [](std::string_view) { return std::string("bench"); });
  if (auto r = f.store->seed(seed); !r) throw std::runtime_error("seed: " + r.error().message());

  auto cred = f.store->credentials_by_phone(kVolunteerPhone);
  if (!cred) throw std::runtime_error("no demo volunteer");
  const auto& u = cred->user;
  f.who.user_id = u.id;
  f.who.name = u.name;
  f.who.role = u.role;
  f.who.org_unit_id = std::to_string(u.org_unit_id);
  f.who.org_path = u.org_path;
  f.who.device_id = "bench";

  // The volunteer's sites with their newest template, as the push bench reads them.
  std::map<std::string, const wire::ChecklistTemplate*> newest;
  for (const auto& t : seed.templates) {
    auto& n = newest[t.id];
    if (!n || t.version > n->version) n = &t;
  }
  for (const auto& s : seed.sites) {
    if (!f.who.can_see(s.org_path)) continue;
    auto t = newest.find(s.template_id);
    if (t == newest.end()) continue;
    bench::SiteRef r{s.id, s.template_id, t->second->version, {}};
    for (const auto& item : t->second->items) r.item_codes.push_back(item.code);
    f.sites.push_back(std::move(r));
  }
  if (f.sites.empty()) throw std::runtime_error("no sites in the volunteer's scope");
  return f;
}

struct Rate {
  double rows_per_s = 0;
  std::int64_t rows = 0;
  std::int64_t rejected = 0;
};

Rate run(const fs::path& dir, int batch, double seconds) {
  auto f = open_seeded(dir);
  domain::TemplateCache templates;
  std::mt19937 rng(42);
  Rate out;
  Clock::duration writing{};
  const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(seconds));
  while (Clock::now() < until) {
    // Outside the clock: JSON, decoding and validation (the server's work),
    // in push-sized pieces (a push holds at most wire::kMaxOpsPerPush ops).
    std::vector<store::PreparedOp> ops;
    ops.reserve(static_cast<std::size_t>(batch));
    for (int done = 0; done < batch;) {
      const int n = std::min<int>(batch - done, static_cast<int>(wire::kMaxOpsPerPush));
      done += n;
      const json::value body = bench::make_push_body(f.sites, n, rng);
      auto req = wire::decode_push_request(body);
      if (!req) throw std::runtime_error("bad batch: " + req.error().message);
      domain::PushContext ctx;
      ctx.who = f.who;
      ctx.device_id = req->device_id;
      ctx.clock_offset_ms = req->clock_offset_ms;
      ctx.received_ms = wire::now_millis().time_since_epoch().count();
      ctx.hazards = f.store.get();
      domain::OpValidator validator(*f.store, templates, std::move(ctx));
      for (const auto& op : req->ops) {
        auto p = validator.prepare(op);
        if (!p) throw std::runtime_error("validation: " + p.error().message());
        auto* prepared = std::get_if<store::PreparedOp>(&*p);
        if (!prepared) throw std::runtime_error("unrecordable op");
        if (std::holds_alternative<wire::FieldError>(prepared->action))
          throw std::runtime_error("rejected op: " +
                                   std::get<wire::FieldError>(prepared->action).message);
        ops.push_back(std::move(*prepared));
      }
    }
    // On the clock: the store writes the batch in one transaction and commits.
    const auto t0 = Clock::now();
    auto outcomes = f.store->apply_ops(std::move(ops));
    writing += Clock::now() - t0;
    if (!outcomes) throw std::runtime_error("apply_ops: " + outcomes.error().message());
    for (const auto& o : *outcomes) {
      if (o.status == wire::OpStatus::applied)
        ++out.rows;
      else
        ++out.rejected;
    }
  }
  f.store->shutdown();
  out.rows_per_s = static_cast<double>(out.rows) / std::chrono::duration<double>(writing).count();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path dir = argc > 1 ? argv[1] : fs::temp_directory_path();
  double seconds = argc > 2 ? std::stod(argv[2]) : 5;
  try {
    for (int batch : {1, 50, 1000}) {
      auto r = run(dir / "sqlite-baseline", batch, seconds);
      std::cout << json::serialize(json::object{{"bench", "sqlite_insert"},
                                                {"batch", batch},
                                                {"rows_per_s", r.rows_per_s},
                                                {"rows", r.rows},
                                                {"rejected", r.rejected}})
                << std::endl;
      if (r.rejected != 0) return 1;
    }
    fs::remove_all(dir / "sqlite-baseline");
  } catch (const std::exception& e) {
    std::cerr << "patrol_bench_sqlite: " << e.what() << "\n";
    return 1;
  }
}
