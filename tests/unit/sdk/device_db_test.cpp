#include "device_db.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "patrol/wire/uuid.hpp"
#include "sqlite/database.hpp"

namespace patrol::sdk {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("patrol-sdk-" + wire::make_uuid_v7());
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

NewOp make_op(std::string type, Lane lane, std::optional<std::string> report = std::nullopt) {
  NewOp op;
  op.op_id = wire::make_uuid_v7();
  op.type = std::move(type);
  op.lane = lane;
  op.op_json = R"({"op_id":")" + op.op_id + R"(","type":")" + op.type + R"(","body":{}})";
  op.report_id = std::move(report);
  op.receipt_kind = op.report_id ? "inspection" : "";
  op.site_id = op.report_id ? "site-1" : "";
  return op;
}

DeviceDb open_db(const TempDir& d) {
  auto db = DeviceDb::open(d.file("device.db"));
  EXPECT_TRUE(db) << (db ? "" : db.error().message);
  return std::move(*db);
}

std::vector<std::string> ids(const std::vector<OutboxOp>& ops) {
  std::vector<std::string> out;
  for (const auto& o : ops) out.push_back(o.op_id);
  return out;
}

TEST(DeviceDb, OpensWithWalFullSyncAndCurrentSchema) {
  TempDir d;
  auto db = open_db(d);
  EXPECT_EQ(*db.raw().scalar_int64("PRAGMA user_version"), DeviceDb::kSchemaVersion);
  auto mode = db.raw().prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode);
  ASSERT_TRUE(*mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
  EXPECT_EQ(*db.raw().scalar_int64("PRAGMA synchronous"), 2);  // FULL
}

TEST(DeviceDb, TheEnginesConnectionIsRelaxedTheAppsIsFull) {
  TempDir d;
  auto app = open_db(d);
  auto engine = DeviceDb::open(d.file("device.db"), DeviceDb::Durability::relaxed);
  ASSERT_TRUE(engine);
  EXPECT_EQ(*app.raw().scalar_int64("PRAGMA synchronous"), 2);      // FULL
  EXPECT_EQ(*engine->raw().scalar_int64("PRAGMA synchronous"), 1);  // NORMAL
  // The WAL is reused: ~4 MiB of frames, then a checkpoint; kept up to 6 MiB.
  EXPECT_EQ(*app.raw().scalar_int64("PRAGMA wal_autocheckpoint"), 1000);
  EXPECT_EQ(*app.raw().scalar_int64("PRAGMA journal_size_limit"), 6291456);
  ASSERT_TRUE(app.enqueue({make_op("inspection.create", Lane::backlog)}));
  engine->checkpoint();
  EXPECT_EQ(engine->counts()->pending, 1);
}

// An older SDK's device database: its migrations (1..version) as that SDK
// ran them, then rows written with the SQL its enqueue and apply ran
// (schemas 4 and 5: an outbox row and a receipts row per report).
struct OldDb {
  sqlite::Database db;
  OldDb(const std::string& path, int version) : db(*sqlite::Database::open(path)) {
    EXPECT_FALSE(db.exec("PRAGMA journal_mode=WAL"));
    const auto m = DeviceDb::migrations();
    for (int i = 0; i < version; ++i)
      EXPECT_FALSE(db.exec(m[static_cast<std::size_t>(i)])) << "migration " << i + 1;
    EXPECT_FALSE(db.exec("PRAGMA user_version=" + std::to_string(version)));
  }
  void enqueue(std::int64_t seq, const NewOp& op, const std::string& at, int lane = 1) {
    auto st = db.prepare(
        "INSERT INTO outbox(seq, op_id, lane, type, op_json, report_id, enqueued_at) "
        "VALUES(?,?,?,?,?,?,?)");
    ASSERT_TRUE(st);
    st->bind(1, seq).bind(2, op.op_id).bind(3, lane).bind(4, op.type).bind(5, op.op_json);
    st->bind(6, op.report_id).bind(7, at);
    ASSERT_FALSE(st->run());
    if (!op.report_id) return;
    auto r = db.prepare(
        "INSERT INTO receipts(report_id, op_id, kind, site_id, seq, state, saved_at) "
        "VALUES(?,?,?,?,?,0,?)");
    ASSERT_TRUE(r);
    r->bind(1, *op.report_id).bind(2, op.op_id).bind(3, op.receipt_kind).bind(4, op.site_id);
    r->bind(5, seq).bind(6, at);
    ASSERT_FALSE(r->run());
  }
  // The server's answer as that SDK applied it.
  void received(std::int64_t seq, const std::string& at) {
    ASSERT_FALSE(db.exec("DELETE FROM outbox WHERE seq=" + std::to_string(seq)));
    ASSERT_FALSE(db.exec("UPDATE receipts SET state=1, received_at='" + at +
                         "' WHERE seq=" + std::to_string(seq)));
  }
  void rejected(std::int64_t seq, const std::string& reason) {
    ASSERT_FALSE(db.exec(
        "INSERT INTO dead_letters(seq, op_id, type, op_json, code, field, message, rejected_at) "
        "SELECT seq, op_id, type, op_json, 'invalid', 'body', 'no', 't-rej' FROM outbox "
        "WHERE seq=" +
        std::to_string(seq)));
    ASSERT_FALSE(db.exec("DELETE FROM outbox WHERE seq=" + std::to_string(seq)));
    ASSERT_FALSE(db.exec("UPDATE receipts SET state=2, reason='" + reason +
                         "' WHERE seq=" + std::to_string(seq)));
  }
  // Every receipt as that SDK listed it (all columns), newest first.
  std::vector<std::vector<std::string>> receipts() {
    std::vector<std::vector<std::string>> out;
    auto st = db.prepare(
        "SELECT report_id, op_id, kind, site_id, seq, state, saved_at, received_at, reason "
        "FROM receipts ORDER BY seq DESC");
    EXPECT_TRUE(st);
    while (*st->step()) {
      std::vector<std::string> row;
      for (int i = 0; i < 9; ++i) row.push_back(st->column_text(i));
      out.push_back(std::move(row));
    }
    return out;
  }
};

std::vector<std::string> columns(const ReceiptRow& r) {
  return {r.report_id,
          r.op_id,
          r.kind,
          r.site_id,
          std::to_string(r.seq),
          std::to_string(static_cast<int>(r.state)),
          r.saved_at,
          r.received_at,
          r.reason};
}

// A phone updated from an SDK with device schema 4 (receipts keyed by report
// id, plus an index by seq): migrations 5 and 6 keep every receipt, now keyed
// by its op's seq, and answers, lookups and the list work on them as before.
TEST(DeviceDb, MigratesSchema4ReceiptsToSeqKeys) {
  TempDir d;
  auto older = make_op("inspection.create", Lane::backlog, "r-old");
  auto answered = make_op("inspection.create", Lane::backlog, "r-answered");
  {
    OldDb old(d.file("device.db"), 4);
    old.enqueue(1, older, "t0");
    old.enqueue(2, answered, "t0");
    old.received(2, "t1");
  }
  auto db = open_db(d);
  EXPECT_EQ(*db.raw().scalar_int64("PRAGMA user_version"), DeviceDb::kSchemaVersion);
  EXPECT_EQ(*db.raw().scalar_int64(
                "SELECT count(*) FROM sqlite_master WHERE type='index' AND tbl_name='receipts'"),
            0);
  auto r_old = *db.receipt("r-old");
  ASSERT_TRUE(r_old);
  EXPECT_EQ(r_old->seq, 1);
  EXPECT_EQ(r_old->state, ReceiptState::saved);
  EXPECT_EQ(r_old->saved_at, "t0");
  EXPECT_EQ((*db.receipt("r-answered"))->received_at, "t1");
  ASSERT_TRUE(
      db.apply_verdicts({{older.op_id, OpVerdict::Kind::done, "t2", "", "", "", 1}}, "t2", {1}));
  EXPECT_EQ((*db.receipt("r-old"))->state, ReceiptState::received);
  EXPECT_EQ((*db.receipt("r-old"))->saved_at, "t0");
  auto fresh = make_op("inspection.create", Lane::backlog, "r-new");
  auto s = db.enqueue({fresh});
  ASSERT_TRUE(s);
  EXPECT_GT(s->front(), 2);
  auto list = db.receipts(10);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].report_id, "r-new");
  EXPECT_EQ((*db.receipt(s->front()))->report_id, "r-new");
}

// A phone updated from device schema 5 (a waiting report's receipt in
// `receipts`, beside its outbox row): migration 6 moves each waiting receipt
// into its outbox row and leaves the answered and rejected ones, so every
// lookup, the list, the outbox, the dead letters and the counts answer
// exactly as schema 5 did; then answers, a retry and new reports work.
TEST(DeviceDb, MigratesSchema5WaitingReceiptsIntoTheirOutboxRows) {
  TempDir d;
  auto waiting = make_op("inspection.create", Lane::backlog, "r-waiting");
  auto answered = make_op("inspection.create", Lane::backlog, "r-answered");
  auto refused = make_op("inspection.create", Lane::backlog, "r-refused");
  auto position = make_op("position.append", Lane::backlog);
  auto sos = make_op("sos.raise", Lane::urgent, "r-sos");
  sos.receipt_kind = "sos";
  sos.site_id = "";
  auto retried = make_op("inspection.create", Lane::backlog, "r-retried");
  std::vector<std::vector<std::string>> before;
  std::vector<std::string> outbox_before;
  {
    OldDb old(d.file("device.db"), 5);
    old.enqueue(1, waiting, "t1");
    old.enqueue(2, answered, "t2");
    old.received(2, "t2-server");
    old.enqueue(3, refused, "t3");
    old.rejected(3, "invalid: no");
    old.enqueue(4, position, "t4");
    old.enqueue(5, sos, "t5", 0);
    // Schema 5's retry of a dead letter: a new seq for the op and its
    // receipt, saved again with its first saved time, the outbox row stamped now.
    old.enqueue(6, retried, "t6");
    old.rejected(6, "invalid: no");
    ASSERT_FALSE(old.db.exec(
        "INSERT INTO outbox(seq, op_id, lane, type, op_json, report_id, enqueued_at) "
        "SELECT 7, op_id, 1, type, op_json, 'r-retried', 't7' FROM dead_letters WHERE seq=6; "
        "DELETE FROM dead_letters WHERE seq=6; "
        "UPDATE receipts SET state=0, reason='', seq=7 WHERE seq=6;"));
    before = old.receipts();
    auto st = old.db.prepare("SELECT op_id FROM outbox ORDER BY lane, seq");
    while (*st->step()) outbox_before.push_back(st->column_text(0));
  }
  ASSERT_EQ(before.size(), 5u);
  auto db = open_db(d);
  EXPECT_EQ(*db.raw().scalar_int64("PRAGMA user_version"), 6);
  // The waiting ones now live in their outbox rows only.
  EXPECT_EQ(*db.raw().scalar_int64("SELECT count(*) FROM receipts WHERE state=0"), 0);
  EXPECT_EQ(*db.raw().scalar_int64("SELECT count(*) FROM receipts"), 2);
  EXPECT_EQ(*db.raw().scalar_int64("SELECT count(*) FROM outbox WHERE receipt_kind IS NOT NULL"),
            3);
  auto list = db.receipts(100);
  ASSERT_TRUE(list);
  std::vector<std::vector<std::string>> after;
  for (const auto& r : *list) after.push_back(columns(r));
  EXPECT_EQ(after, before);  // every column of every receipt, in the same order
  for (const auto& row : before) {
    auto by_id = db.receipt(row[0]);
    ASSERT_TRUE(by_id && *by_id) << row[0];
    EXPECT_EQ(columns(**by_id), row);
    auto by_seq = db.receipt(std::stoll(row[4]));
    ASSERT_TRUE(by_seq && *by_seq) << row[0];
    EXPECT_EQ(columns(**by_seq), row);
  }
  EXPECT_EQ((*db.receipt("r-retried"))->saved_at, "t6");  // its first saved time, kept
  EXPECT_EQ(ids(*db.outbox(10)), outbox_before);
  auto c = db.counts();
  EXPECT_EQ(c->pending, 4);
  EXPECT_EQ(c->dead_letters, 1);
  EXPECT_EQ(*db.raw().scalar_int64("SELECT count(*) FROM pragma_integrity_check WHERE "
                                   "integrity_check<>'ok'"),
            0);

  // And on from there: answers, a retry, a new report above every old seq.
  auto out = db.apply_verdicts({{waiting.op_id, OpVerdict::Kind::done, "t8", "", "", "", 1},
                                {sos.op_id, OpVerdict::Kind::done, "", "", "", "", 5}},
                               "t9", {1, 5});
  ASSERT_TRUE(out);
  EXPECT_EQ(out->done, 2);
  auto w = *db.receipt("r-waiting");
  EXPECT_EQ(w->state, ReceiptState::received);
  EXPECT_EQ(w->saved_at, "t1");
  EXPECT_EQ(w->received_at, "t8");
  auto s = *db.receipt(5);
  EXPECT_EQ(s->kind, "sos");
  EXPECT_EQ(s->site_id, "");
  EXPECT_EQ(s->received_at, "t9");
  ASSERT_TRUE(*db.retry_dead_letter(refused.op_id));
  auto r = *db.receipt("r-refused");
  EXPECT_EQ(r->state, ReceiptState::saved);
  EXPECT_EQ(r->saved_at, "t3");
  EXPECT_GT(r->seq, 7);
  EXPECT_FALSE(*db.receipt(3));
  auto fresh = db.enqueue({make_op("inspection.create", Lane::backlog, "r-new")});
  ASSERT_TRUE(fresh);
  EXPECT_GT(fresh->front(), r->seq);
}

TEST(DeviceDb, RefusesADatabaseFromANewerSdk) {
  TempDir d;
  {
    auto db = open_db(d);
    ASSERT_FALSE(db.raw().exec("PRAGMA user_version=99"));
  }
  auto db = DeviceDb::open(d.file("device.db"));
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().code, ErrorCode::storage);
  EXPECT_NE(db.error().message.find("newer"), std::string::npos);
}

TEST(Outbox, UrgentLaneGoesFirstThenBacklogOldestFirst) {
  TempDir d;
  auto db = open_db(d);
  auto b1 = make_op("inspection.create", Lane::backlog);
  auto b2 = make_op("position.append", Lane::backlog);
  auto u1 = make_op("sos.raise", Lane::urgent);
  auto b3 = make_op("inspection.create", Lane::backlog);
  auto u2 = make_op("position.append", Lane::urgent);
  for (const auto* op : {&b1, &b2, &u1, &b3, &u2}) ASSERT_TRUE(db.enqueue({*op}));
  auto batch = db.next_batch(100, 1 << 20);
  ASSERT_TRUE(batch);
  EXPECT_EQ(ids(*batch),
            (std::vector<std::string>{u1.op_id, u2.op_id, b1.op_id, b2.op_id, b3.op_id}));
  // Local sequence follows enqueue order.
  std::map<std::string, std::int64_t> seq;
  for (const auto& o : *batch) seq[o.op_id] = o.seq;
  EXPECT_LT(seq[b1.op_id], seq[b2.op_id]);
  EXPECT_LT(seq[b2.op_id], seq[u1.op_id]);
  EXPECT_LT(seq[u1.op_id], seq[b3.op_id]);
}

TEST(Outbox, NewestPositionStaysUrgentOlderOnesJoinTheBacklogInOrder) {
  TempDir d;
  auto db = open_db(d);
  auto insp = make_op("inspection.create", Lane::backlog);
  auto p1 = make_op("position.append", Lane::urgent);
  auto sos = make_op("sos.raise", Lane::urgent);
  ASSERT_TRUE(db.enqueue({insp}));
  ASSERT_TRUE(db.enqueue({p1}, true));
  ASSERT_TRUE(db.enqueue({sos}));
  auto p2_old = make_op("position.append", Lane::backlog);
  auto p2 = make_op("position.append", Lane::urgent);
  ASSERT_TRUE(db.enqueue({p2_old, p2}, true));
  auto batch = db.next_batch(100, 1 << 20);
  ASSERT_TRUE(batch);
  // SOS and the newest position first; p1 now waits in the backlog in its place.
  EXPECT_EQ(ids(*batch),
            (std::vector<std::string>{sos.op_id, p2.op_id, insp.op_id, p1.op_id, p2_old.op_id}));
}

TEST(Outbox, BatchHonoursMaxOpsAndMaxBytesButAlwaysTakesOne) {
  TempDir d;
  auto db = open_db(d);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(db.enqueue({make_op("position.append", Lane::backlog)}));
  EXPECT_EQ(db.next_batch(3, 1 << 20)->size(), 3u);
  const auto one = db.next_batch(1, 1 << 20)->front().op_json.size();
  EXPECT_EQ(db.next_batch(100, one * 4 + 1)->size(), 4u);
  EXPECT_EQ(db.next_batch(100, 1)->size(), 1u);
}

TEST(Outbox, EnqueueIsAllOrNothing) {
  TempDir d;
  auto db = open_db(d);
  auto a = make_op("inspection.create", Lane::backlog, "r-a");
  ASSERT_TRUE(db.enqueue({a}));
  auto b = make_op("inspection.create", Lane::backlog, "r-b");
  // The same report id again, refused (here by a trigger of this connection:
  // report ids are UUIDs the SDK makes, not a key) after b's row went in, so
  // the whole call must roll back.
  ASSERT_FALSE(db.raw().exec(
      "CREATE TEMP TRIGGER no_dup BEFORE INSERT ON outbox WHEN EXISTS (SELECT 1 FROM outbox "
      "WHERE report_id = NEW.report_id) BEGIN SELECT RAISE(ABORT, 'duplicate report id'); END"));
  auto dup = make_op("inspection.create", Lane::backlog, "r-a");
  auto r = db.enqueue({b, dup});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::storage);
  EXPECT_EQ(db.counts()->pending, 1);
  EXPECT_FALSE(*db.receipt("r-b"));
  EXPECT_EQ(db.outbox(10)->size(), 1u);
}

TEST(Outbox, LocalSequenceIsNeverReusedWhileAnythingRefersToIt) {
  TempDir d;
  auto db = open_db(d);
  // A report's receipt keeps its seq after the op left the outbox.
  auto a = make_op("inspection.create", Lane::backlog, "r-a");
  auto s1 = db.enqueue({a});
  ASSERT_TRUE(s1);
  ASSERT_TRUE(
      db.apply_verdicts({{a.op_id, OpVerdict::Kind::done, "", "", "", "", s1->front()}}, "t", *s1));
  EXPECT_EQ(db.counts()->pending, 0);
  auto b = make_op("position.append", Lane::backlog);
  auto s2 = db.enqueue({b});
  ASSERT_TRUE(s2);
  EXPECT_GT(s2->front(), s1->front());
  // So does a dead letter (here the newest seq of all).
  ASSERT_TRUE(db.apply_verdicts(
      {{b.op_id, OpVerdict::Kind::rejected, "", "bad", "", "no", s2->front()}}, "t", *s2));
  auto s3 = db.enqueue({make_op("position.append", Lane::backlog)});
  ASSERT_TRUE(s3);
  EXPECT_GT(s3->front(), s2->front());
  // And a retried dead letter goes to the end with a new, higher seq.
  ASSERT_TRUE(*db.retry_dead_letter(b.op_id));
  auto all = db.outbox(10);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->back().op_id, b.op_id);
  EXPECT_GT(all->back().seq, s3->front());
}

TEST(Outbox, NextBatchPassesOverABatchWhoseAnswerIsBeingApplied) {
  TempDir d;
  auto db = open_db(d);
  std::vector<NewOp> ops;
  for (int i = 0; i < 6; ++i) ops.push_back(make_op("inspection.create", Lane::backlog));
  auto seqs = db.enqueue(ops);
  ASSERT_TRUE(seqs);
  auto first = db.next_batch(3, 1 << 20);
  ASSERT_EQ(first->size(), 3u);
  std::vector<std::int64_t> sent;
  for (const auto& o : *first) sent.push_back(o.seq);
  // An SOS enqueued meanwhile still goes first; the sent ops are left out.
  auto sos = make_op("sos.raise", Lane::urgent);
  ASSERT_TRUE(db.enqueue({sos}));
  auto second = db.next_batch(3, 1 << 20, sent);
  ASSERT_EQ(second->size(), 3u);
  EXPECT_EQ((*second)[0].op_id, sos.op_id);
  EXPECT_EQ((*second)[1].op_id, ops[3].op_id);
  EXPECT_EQ((*second)[2].op_id, ops[4].op_id);
  EXPECT_EQ(db.next_batch(10, 1 << 20, sent)->size(), 4u);
}

TEST(Outbox, InFlightMarksCountAttemptsAndClear) {
  TempDir d;
  auto db = open_db(d);
  auto seqs = db.enqueue({make_op("position.append", Lane::backlog),
                          make_op("position.append", Lane::backlog),
                          make_op("position.append", Lane::backlog)});
  ASSERT_TRUE(seqs);
  ASSERT_TRUE(db.mark_in_flight({(*seqs)[0], (*seqs)[1]}));
  auto c = db.counts();
  EXPECT_EQ(c->pending, 3);
  EXPECT_EQ(c->in_flight, 2);
  ASSERT_TRUE(db.clear_in_flight({(*seqs)[0]}));
  EXPECT_EQ(db.counts()->in_flight, 1);
  ASSERT_TRUE(db.mark_in_flight({(*seqs)[0]}));
  EXPECT_EQ(db.outbox(10)->front().attempts, 2);
  ASSERT_TRUE(db.clear_all_in_flight());
  EXPECT_EQ(db.counts()->in_flight, 0);
}

TEST(Outbox, VerdictsRemoveDoneOpsDeadLetterRejectedAndKeepTheRest) {
  TempDir d;
  auto db = open_db(d);
  auto ok = make_op("inspection.create", Lane::backlog, "report-ok");
  auto dup = make_op("inspection.create", Lane::backlog, "report-dup");
  auto bad = make_op("inspection.create", Lane::backlog, "report-bad");
  auto untouched = make_op("inspection.create", Lane::backlog, "report-later");
  auto seqs = db.enqueue({ok, dup, bad, untouched});
  ASSERT_TRUE(seqs);
  ASSERT_TRUE(db.mark_in_flight(*seqs));
  EXPECT_EQ((*db.receipt("report-ok"))->state, ReceiptState::saved);

  std::vector<OpVerdict> v = {
      {ok.op_id, OpVerdict::Kind::done, "2026-11-28T11:05:03.000Z", "", "", ""},
      {dup.op_id, OpVerdict::Kind::done, "", "", "", ""},
      {bad.op_id, OpVerdict::Kind::rejected, "", "unknown_site", "body.site_id", "no such site"},
      {"not-an-op-we-have", OpVerdict::Kind::done, "", "", "", ""},
  };
  auto out = db.apply_verdicts(v, "2026-11-28T11:06:00.000Z", *seqs, {{"clock_offset_ms", "42"}});
  ASSERT_TRUE(out);
  EXPECT_EQ(db.counts()->in_flight, 0);  // the op without a verdict is queued again
  EXPECT_EQ(**db.get("clock_offset_ms"), "42");
  EXPECT_EQ(out->done, 2);
  EXPECT_EQ(out->rejected, 1);
  EXPECT_EQ(out->unknown, 1);
  ASSERT_EQ(out->received_reports.size(), 2u);
  EXPECT_EQ(out->received_reports[0],
            (std::pair<std::string, std::string>{"report-ok", "2026-11-28T11:05:03.000Z"}));

  auto c = db.counts();
  EXPECT_EQ(c->pending, 1);
  EXPECT_EQ(c->dead_letters, 1);
  EXPECT_EQ(db.outbox(10)->front().op_id, untouched.op_id);

  auto r_ok = *db.receipt("report-ok");
  EXPECT_EQ(r_ok->state, ReceiptState::received);
  EXPECT_EQ(r_ok->received_at, "2026-11-28T11:05:03.000Z");  // the op's own server time
  auto r_dup = *db.receipt("report-dup");
  EXPECT_EQ(r_dup->received_at, "2026-11-28T11:06:00.000Z");  // falls back to server_time
  auto r_bad = *db.receipt("report-bad");
  EXPECT_EQ(r_bad->state, ReceiptState::rejected);
  EXPECT_NE(r_bad->reason.find("unknown_site"), std::string::npos);
  EXPECT_EQ((*db.receipt("report-later"))->state, ReceiptState::saved);

  auto dl = db.dead_letters();
  ASSERT_TRUE(dl);
  ASSERT_EQ(dl->size(), 1u);
  EXPECT_EQ((*dl)[0].op_id, bad.op_id);
  EXPECT_EQ((*dl)[0].code, "unknown_site");
  EXPECT_EQ((*dl)[0].field, "body.site_id");
  EXPECT_EQ((*dl)[0].message, "no such site");
  EXPECT_EQ((*dl)[0].op_json, bad.op_json);

  // The same answer processed twice (e.g. by two processes) changes nothing.
  auto again = db.apply_verdicts(v, "later");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->unknown, 4);
  EXPECT_EQ(db.counts()->dead_letters, 1);
  EXPECT_EQ((*db.receipt("report-ok"))->received_at, "2026-11-28T11:05:03.000Z");
}

// The engine's path: verdicts carry the op's seq, and the ops the server has
// are settled for the whole batch at once (one DELETE, one UPDATE of the
// receipts). A seq with another op id, a repeated verdict and an op answered
// twice must change nothing they should not.
TEST(Outbox, VerdictsBySeqSettleTheWholeBatchExactlyOnce) {
  TempDir d;
  auto db = open_db(d);
  std::vector<NewOp> ops;
  for (int i = 0; i < 6; ++i)
    ops.push_back(
        make_op("inspection.create", Lane::backlog,
                i == 4 ? std::nullopt : std::optional<std::string>("r" + std::to_string(i))));
  ops[5].op_id = "quote\"and\\back\nslash";  // escaped on its way through json_each
  auto seqs = db.enqueue(ops);
  ASSERT_TRUE(seqs);
  auto verdict = [&](int i, std::string at = "") {
    OpVerdict v;
    v.op_id = ops[static_cast<std::size_t>(i)].op_id;
    v.received_at = std::move(at);
    v.seq = (*seqs)[static_cast<std::size_t>(i)];
    return v;
  };
  std::vector<OpVerdict> v = {verdict(0, "2026-11-28T11:05:03.000Z"), verdict(1), verdict(4),
                              verdict(5, "2026-11-28T11:05:05.000Z"), verdict(0)};
  OpVerdict wrong = verdict(2);  // op 2's seq with op 3's id: neither may go
  wrong.op_id = ops[3].op_id;
  v.push_back(wrong);
  OpVerdict rejected = verdict(3);
  rejected.kind = OpVerdict::Kind::rejected;
  rejected.code = "invalid";
  v.push_back(rejected);

  auto out = db.apply_verdicts(v, "2026-11-28T11:06:00.000Z", *seqs);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->done, 4);
  EXPECT_EQ(out->rejected, 1);
  EXPECT_EQ(out->unknown, 2);  // the repeated verdict for op 0 and the mismatched one
  ASSERT_EQ(out->received_reports.size(), 3u);  // op 4 has no receipt
  EXPECT_EQ(out->received_reports[0],
            (std::pair<std::string, std::string>{"r0", "2026-11-28T11:05:03.000Z"}));
  EXPECT_EQ(out->received_reports[1],
            (std::pair<std::string, std::string>{"r1", "2026-11-28T11:06:00.000Z"}));
  EXPECT_EQ(out->received_reports[2],
            (std::pair<std::string, std::string>{"r5", "2026-11-28T11:05:05.000Z"}));
  auto left = db.outbox(10);
  ASSERT_TRUE(left);
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ(left->front().op_id, ops[2].op_id);
  EXPECT_EQ((*db.receipt("r0"))->state, ReceiptState::received);
  EXPECT_EQ((*db.receipt("r0"))->received_at, "2026-11-28T11:05:03.000Z");
  EXPECT_EQ((*db.receipt("r5"))->received_at, "2026-11-28T11:05:05.000Z");
  EXPECT_EQ((*db.receipt("r2"))->state, ReceiptState::saved);
  EXPECT_EQ((*db.receipt("r3"))->state, ReceiptState::rejected);
  EXPECT_EQ(db.counts()->dead_letters, 1);

  // The same answer again (another process, a replay): nothing changes.
  auto again = db.apply_verdicts(v, "later", *seqs);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->done, 0);
  EXPECT_EQ(again->unknown, 7);
  EXPECT_EQ((*db.receipt("r0"))->received_at, "2026-11-28T11:05:03.000Z");
  EXPECT_EQ(db.outbox(10)->size(), 1u);
}

// change_epoch moves with another connection's commit and this one's
// settings/reference writes, not with this connection's enqueues.
TEST(DeviceDb, ChangeEpochSeesOtherConnectionsAndOwnReferenceWrites) {
  TempDir d;
  auto app = open_db(d);
  auto engine = DeviceDb::open(d.file("device.db"), DeviceDb::Durability::relaxed);
  ASSERT_TRUE(engine);
  auto e0 = app.change_epoch();
  ASSERT_TRUE(e0);
  ASSERT_TRUE(app.enqueue({make_op("inspection.create", Lane::backlog, "r")}));
  EXPECT_EQ(*app.change_epoch(), *e0);
  ASSERT_TRUE(engine->apply_changes({{"site", "s1", false, R"({"id":"s1"})", 1}}, 1));
  auto e1 = app.change_epoch();
  ASSERT_TRUE(e1);
  EXPECT_NE(*e1, *e0);
  ASSERT_TRUE(app.set("online", "0"));
  auto e2 = app.change_epoch();
  EXPECT_NE(*e2, *e1);
  ASSERT_TRUE(app.clear_reference_data());
  EXPECT_NE(*app.change_epoch(), *e2);
}

TEST(Receipts, ListNewestFirst) {
  TempDir d;
  auto db = open_db(d);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(db.enqueue({make_op("inspection.create", Lane::backlog, "r" + std::to_string(i))}));
  auto rs = db.receipts(3);
  ASSERT_TRUE(rs);
  ASSERT_EQ(rs->size(), 3u);
  EXPECT_EQ((*rs)[0].report_id, "r4");
  EXPECT_EQ((*rs)[2].report_id, "r2");
  EXPECT_FALSE((*rs)[0].saved_at.empty());
}

// A report's receipt answers the same by report id, by seq and in the list
// while it waits in the outbox (schema 6: in its outbox row), once the
// engine's connection acknowledged it (then in `receipts`), once rejected,
// and after its dead letter is retried; only state, received_at, reason (and
// for the retry the seq) change.
TEST(Receipts, AnswerTheSameBeforeAndAfterTheAck) {
  TempDir d;
  auto app = open_db(d);
  auto engine = DeviceDb::open(d.file("device.db"), DeviceDb::Durability::relaxed);
  ASSERT_TRUE(engine);
  auto a = make_op("inspection.create", Lane::backlog, "r-a");
  auto b = make_op("inspection.create", Lane::backlog, "r-b");
  auto p = make_op("position.append", Lane::backlog);
  std::string saved_at;
  auto seqs = app.enqueue({a, b, p}, false, &saved_at);
  ASSERT_TRUE(seqs);
  // One row per op: nothing in `receipts` until the server answers.
  EXPECT_EQ(*app.raw().scalar_int64("SELECT count(*) FROM receipts"), 0);
  auto waiting = *app.receipt("r-a");
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->op_id, a.op_id);
  EXPECT_EQ(waiting->kind, "inspection");
  EXPECT_EQ(waiting->site_id, "site-1");
  EXPECT_EQ(waiting->seq, (*seqs)[0]);
  EXPECT_EQ(waiting->state, ReceiptState::saved);
  EXPECT_EQ(waiting->saved_at, saved_at);
  EXPECT_EQ(waiting->received_at, "");
  EXPECT_EQ(columns(**app.receipt((*seqs)[0])), columns(*waiting));
  EXPECT_FALSE(*app.receipt((*seqs)[2]));  // a position has no receipt
  EXPECT_FALSE(*app.receipt("nope"));
  ASSERT_EQ(app.receipts(10)->size(), 2u);

  OpVerdict done{a.op_id, OpVerdict::Kind::done, "t-server", "", "", "", (*seqs)[0]};
  OpVerdict refused{b.op_id, OpVerdict::Kind::rejected, "", "invalid", "body", "no", (*seqs)[1]};
  ASSERT_TRUE(engine->apply_verdicts({done, refused}, "t", *seqs));
  auto received = *app.receipt("r-a");
  ASSERT_TRUE(received);
  auto expect = columns(*waiting);
  expect[5] = "1";
  expect[7] = "t-server";
  EXPECT_EQ(columns(*received), expect);
  EXPECT_EQ(columns(**app.receipt((*seqs)[0])), expect);
  auto rejected = *app.receipt("r-b");
  EXPECT_EQ(rejected->state, ReceiptState::rejected);
  EXPECT_EQ(rejected->reason, "invalid: no");
  EXPECT_EQ(rejected->saved_at, saved_at);
  auto list = app.receipts(10);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].report_id, "r-b");
  EXPECT_EQ((*list)[1].report_id, "r-a");

  // Retried: saved again under a new seq, with its first saved time.
  ASSERT_TRUE(*app.retry_dead_letter(b.op_id));
  auto again = *app.receipt("r-b");
  EXPECT_EQ(again->state, ReceiptState::saved);
  EXPECT_EQ(again->reason, "");
  EXPECT_EQ(again->saved_at, saved_at);
  EXPECT_GT(again->seq, (*seqs)[2]);
  EXPECT_FALSE(*app.receipt((*seqs)[1]));
  EXPECT_EQ(*app.raw().scalar_int64("SELECT count(*) FROM receipts"), 1);
  // Answered by op id alone (no seq): received all the same.
  ASSERT_TRUE(engine->apply_verdicts({{b.op_id, OpVerdict::Kind::done, "", "", "", "", 0}}, "t2"));
  EXPECT_EQ((*app.receipt(again->seq))->state, ReceiptState::received);
  EXPECT_EQ((*app.receipt("r-b"))->received_at, "t2");
  EXPECT_EQ((*app.receipt("r-b"))->op_id, b.op_id);
}

// The point of schema 6: a durable enqueue of a report commits one WAL frame
// (the outbox's right-most leaf) and now and then a new leaf and its parent,
// where schema 5 wrote two leaves (outbox, receipts) every time.
TEST(Outbox, ADurableEnqueueWritesAboutOnePage) {
  TempDir d;
  auto db = open_db(d);
  std::vector<int> frames;
  // Called after each commit with the WAL's frame count (this hook replaces
  // the automatic checkpoint for this connection: none of these 200 runs one).
  sqlite3_wal_hook(
      db.raw().native(),
      [](void* arg, sqlite3*, const char*, int n) {
        static_cast<std::vector<int>*>(arg)->push_back(n);
        return SQLITE_OK;
      },
      &frames);
  const std::string note(500, 'n');  // about an inspection's size: ~6 rows per page
  for (int i = 0; i < 200; ++i) {
    auto op = make_op("inspection.create", Lane::backlog, "r" + std::to_string(i));
    op.op_json.insert(op.op_json.size() - 2, R"("note":")" + note + R"(")");
    ASSERT_TRUE(db.enqueue({op}));
  }
  ASSERT_EQ(frames.size(), 200u);
  const double per_commit = static_cast<double>(frames.back() - frames.front()) / 199.0;
  std::cout << "[ pages    ] " << per_commit << " WAL frames per durable enqueue\n";
  EXPECT_LT(per_commit, 1.5);
  EXPECT_GE(per_commit, 1.0);
}

// The WAL is reused across app sessions: a clean close keeps the file (SQLite
// would truncate it to zero bytes, so every session grew it again, one
// frame per commit), and the next session's commits overwrite it in place.
TEST(Outbox, TheWalFileIsKeptAcrossSessionsAndNotGrownAgain) {
  TempDir d;
  const fs::path wal = d.path() / "device.db-wal";
  auto session = [&] {
    auto db = open_db(d);
    EXPECT_FALSE(db.raw().exec("PRAGMA wal_autocheckpoint=30"));  // short cycles for the test
    std::uintmax_t largest = 0;
    for (int i = 0; i < 100; ++i) {
      EXPECT_TRUE(db.enqueue({make_op("inspection.create", Lane::backlog, "r")}));
      largest = std::max(largest, fs::file_size(wal));
    }
    return largest;
  };
  const auto first = session();
  EXPECT_GE(first, 30u * 4120u);         // it did cycle
  EXPECT_EQ(fs::file_size(wal), first);  // kept, as it was, after the close
  const auto second = session();
  EXPECT_LE(second, first + 2 * 4120u);  // overwritten in place (a commit may cross by a frame)
}

TEST(ReferenceData, ChangesAndCursorCommitTogetherAndSurviveReopen) {
  TempDir d;
  {
    auto db = open_db(d);
    EXPECT_EQ(*db.cursor(), 0);
    ASSERT_TRUE(db.apply_changes({{"site", "s1", false, R"({"id":"s1","name":"A"})", 1},
                                  {"site", "s2", false, R"({"id":"s2","name":"B"})", 2},
                                  {"round", "r1", false, R"({"id":"r1"})", 3}},
                                 3));
    ASSERT_TRUE(db.apply_changes(
        {{"site", "s1", true, "", 4}, {"site", "s2", false, R"({"id":"s2","name":"B2"})", 5}}, 5));
  }
  auto db = open_db(d);
  EXPECT_EQ(*db.cursor(), 5);
  auto sites = db.entities("site");
  ASSERT_TRUE(sites);
  ASSERT_EQ(sites->size(), 1u);
  EXPECT_EQ((*sites)[0], R"({"id":"s2","name":"B2"})");
  EXPECT_FALSE(*db.entity("site", "s1"));
  EXPECT_TRUE(*db.entity("round", "r1"));
  ASSERT_TRUE(db.clear_reference_data());
  EXPECT_EQ(*db.cursor(), 0);
  EXPECT_TRUE(db.entities("site")->empty());
}

TEST(Settings, SetGetEraseAndManyInOneTransaction) {
  TempDir d;
  auto db = open_db(d);
  EXPECT_FALSE(*db.get("token"));
  ASSERT_TRUE(db.set_many({{"token", "t1"}, {"user_id", "u1"}}));
  EXPECT_EQ(**db.get("token"), "t1");
  ASSERT_TRUE(db.set_many({{"user_id", "u2"}}, {"token"}));
  EXPECT_FALSE(*db.get("token"));
  EXPECT_EQ(**db.get("user_id"), "u2");
}

TEST(Outbox, TwoConnectionsSeeEachOthersWrites) {
  TempDir d;
  auto a = open_db(d);
  auto b = open_db(d);
  auto op = make_op("inspection.create", Lane::backlog);
  ASSERT_TRUE(a.enqueue({op}));
  auto batch = b.next_batch(10, 1 << 20);
  ASSERT_TRUE(batch);
  ASSERT_EQ(batch->size(), 1u);
  ASSERT_TRUE(b.apply_verdicts({{op.op_id, OpVerdict::Kind::done, "", "", "", ""}}, "t"));
  EXPECT_EQ(a.counts()->pending, 0);
}

// A child process enqueues groups of three ops (one transaction each) and
// reports each group on a pipe after commit; the parent kills it with SIGKILL
// at a random moment, many times. Every reported group must be there, and no
// group may be there partially.
TEST(Outbox, EnqueueSurvivesKillNineAtAnyInstant) {
  TempDir d;
  const std::string path = d.file("device.db");
  { auto db = open_db(d); }
  std::set<std::string> reported;
  std::mt19937 rng(12345);
  for (int round = 0; round < 12; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      auto db = DeviceDb::open(path);
      if (!db) ::_exit(3);
      for (int g = 0;; ++g) {
        const std::string group = wire::make_uuid_v7();
        std::vector<NewOp> ops;
        for (int k = 0; k < 3; ++k) {
          auto op = make_op("position.append", Lane::backlog);
          op.report_id = group + "-" + std::to_string(k);
          op.receipt_kind = "inspection";
          ops.push_back(op);
        }
        if (!db->enqueue(ops, g % 2 == 0)) ::_exit(4);
        const std::string line = group + "\n";
        if (::write(fds[1], line.data(), line.size()) < 0) ::_exit(5);
      }
    }
    ::close(fds[1]);
    // The clock starts at the child's first commit, not at fork: under qemu
    // (the ARM presets) opening the database alone can take longer than the
    // whole window.
    std::string buf;
    char chunk[4096];
    ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n > 0) buf.append(chunk, static_cast<std::size_t>(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 60));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
    while ((n = ::read(fds[0], chunk, sizeof chunk)) > 0)
      buf.append(chunk, static_cast<std::size_t>(n));
    ::close(fds[0]);
    for (std::size_t pos = 0; pos < buf.size();) {
      const auto nl = buf.find('\n', pos);
      if (nl == std::string::npos) break;  // torn write of the last line: not reported
      reported.insert(buf.substr(pos, nl - pos));
      pos = nl + 1;
    }
  }
  auto db = open_db(d);
  EXPECT_EQ(*db.raw().scalar_int64("SELECT count(*) FROM pragma_integrity_check WHERE "
                                   "integrity_check<>'ok'"),
            0);
  auto rs = db.receipts(1000000);
  ASSERT_TRUE(rs);
  std::map<std::string, int> per_group;
  for (const auto& r : *rs) per_group[r.report_id.substr(0, r.report_id.rfind('-'))]++;
  for (const auto& [g, n] : per_group) EXPECT_EQ(n, 3) << "partial group " << g;
  for (const auto& g : reported) EXPECT_EQ(per_group.count(g), 1u) << "lost group " << g;
  EXPECT_EQ(db.counts()->pending, static_cast<std::int64_t>(per_group.size() * 3));
  EXPECT_GT(reported.size(), 12u);
}

}  // namespace
}  // namespace patrol::sdk
