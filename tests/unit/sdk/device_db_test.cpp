#include "device_db.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "patrol/wire/uuid.hpp"

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

// A phone updated from an SDK with device schema 4 (receipts keyed by report
// id, plus an index by seq): migration 5 keeps every receipt, now keyed by its
// op's seq, and answers, lookups and the list work on them as before.
TEST(DeviceDb, MigratesSchema4ReceiptsToSeqKeys) {
  TempDir d;
  auto older = make_op("inspection.create", Lane::backlog, "r-old");
  auto answered = make_op("inspection.create", Lane::backlog, "r-answered");
  std::vector<std::int64_t> seqs;
  {
    auto db = open_db(d);
    auto s = db.enqueue({older, answered});
    ASSERT_TRUE(s);
    seqs = *s;
    ASSERT_TRUE(db.apply_verdicts({{answered.op_id, OpVerdict::Kind::done, "t1", "", "", "", 0}},
                                  "t1", {seqs[1]}));
    // Back to schema 4's receipts table, rows included.
    ASSERT_FALSE(db.raw().exec(R"sql(
CREATE TABLE receipts_v4 (
  report_id TEXT PRIMARY KEY, op_id TEXT NOT NULL, kind TEXT NOT NULL, site_id TEXT NOT NULL,
  seq INTEGER NOT NULL, state INTEGER NOT NULL, saved_at TEXT NOT NULL,
  received_at TEXT NOT NULL DEFAULT '', reason TEXT NOT NULL DEFAULT '') WITHOUT ROWID;
INSERT INTO receipts_v4 SELECT report_id, op_id, kind, site_id, seq, state, saved_at,
  received_at, reason FROM receipts;
DROP TABLE receipts;
ALTER TABLE receipts_v4 RENAME TO receipts;
CREATE INDEX receipts_by_seq ON receipts(seq);
PRAGMA user_version=4;
)sql"));
  }
  auto db = open_db(d);
  EXPECT_EQ(*db.raw().scalar_int64("PRAGMA user_version"), DeviceDb::kSchemaVersion);
  EXPECT_EQ(*db.raw().scalar_int64(
                "SELECT count(*) FROM sqlite_master WHERE type='index' AND tbl_name='receipts'"),
            0);
  auto old = *db.receipt("r-old");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->seq, seqs[0]);
  EXPECT_EQ(old->state, ReceiptState::saved);
  EXPECT_EQ((*db.receipt("r-answered"))->received_at, "t1");
  ASSERT_TRUE(db.apply_verdicts({{older.op_id, OpVerdict::Kind::done, "t2", "", "", "", seqs[0]}},
                                "t2", {seqs[0]}));
  EXPECT_EQ((*db.receipt("r-old"))->state, ReceiptState::received);
  auto fresh = make_op("inspection.create", Lane::backlog, "r-new");
  auto s = db.enqueue({fresh});
  ASSERT_TRUE(s);
  EXPECT_GT(s->front(), seqs[1]);
  auto list = db.receipts(10);
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].report_id, "r-new");
  EXPECT_EQ((*db.receipt_by_seq(s->front()))->report_id, "r-new");
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
  // receipts are keyed by seq, and report ids are UUIDs the SDK makes) after
  // b's rows went in, so the whole call must roll back.
  ASSERT_FALSE(db.raw().exec(
      "CREATE TEMP TRIGGER no_dup BEFORE INSERT ON receipts WHEN EXISTS (SELECT 1 FROM receipts "
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
