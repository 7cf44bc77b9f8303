// The client SDK against the real patrold over TLS on 127.0.0.1: a report
// end to end, rejected ops, certificates, expired sessions; then durability
// under faults (flaky network proxy, server down, kill -9 of patrolctl) and
// bad answers from a broken server. The server's own database is the judge
// of "landed exactly once".
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <atomic>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "bad_server.hpp"
#include "fault_proxy.hpp"
#include "patrol/client.hpp"
#include "patrold_child.hpp"
#include "sqlite/database.hpp"
#include "test_support/fault_vfs.hpp"
#include "wait_until.hpp"

namespace patrol {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using test::FaultPlan;
using test::FaultProxy;
using PatroldProcess = test::PatroldChild;
using TempDir = test::ScratchDir;

constexpr const char* kVolunteer = "13900000002";
constexpr const char* kPassword = "patrol-demo";

std::string url(std::uint16_t port) {
  return "https://127.0.0.1:" + std::to_string(port);
}

std::unique_ptr<Client> open_client(const fs::path& dir, std::uint16_t port,
                                    const std::function<void(ClientOptions&)>& tweak = {}) {
  ClientOptions o;
  o.data_dir = dir.string();
  o.server_url = url(port);
  o.insecure = true;
  o.background_sync = false;
  o.jitter_seed = 99;
  if (tweak) tweak(o);
  auto c = Client::open(std::move(o));
  EXPECT_TRUE(c) << (c ? "" : c.error().message);
  return c ? std::move(*c) : nullptr;
}

// Read-only look into patrold's own database.
class ServerDb {
 public:
  explicit ServerDb(const fs::path& data_dir) {
    sqlite::OpenOptions o;
    o.read_only = true;
    auto db = sqlite::Database::open((data_dir / "patrol.db").string(), o);
    if (!db) throw std::runtime_error("cannot open server db: " + db.error().message());
    db_ = std::move(*db);
  }
  std::int64_t count(const std::string& sql, const std::string& arg) {
    auto st = db_.prepare(sql);
    if (!st) throw std::runtime_error("prepare: " + db_.error_message());
    st->bind(1, arg);
    auto row = st->step();
    if (!row || !*row) throw std::runtime_error("step failed: " + sql);
    return st->column_int64(0);
  }
  std::set<std::string> strings(const std::string& sql, const std::string& arg) {
    std::set<std::string> out;
    auto st = db_.prepare(sql);
    if (!st) throw std::runtime_error("prepare: " + db_.error_message());
    st->bind(1, arg);
    for (;;) {
      auto row = st->step();
      if (!row || !*row) break;
      out.insert(st->column_text(0));
    }
    return out;
  }

 private:
  sqlite::Database db_;
};

// A logged-in volunteer with reference data; returns a site and its template's
// item codes for building reports.
struct Beat {
  std::string site_id;
  std::string template_id;
  std::int64_t template_version = 1;
  std::vector<std::string> codes;
};

Beat login_and_pull(Client& c, int attempts = 1) {
  Status st = make_error(ErrorCode::internal, "not tried");
  for (int i = 0; i < attempts && !(st = c.login(kVolunteer, kPassword)); ++i)
    std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(st) << st.error().message;
  Result<std::int64_t> pulled = make_error(ErrorCode::internal, "not tried");
  for (int i = 0; i < attempts && !(pulled = c.pull()); ++i) std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(pulled) << pulled.error().message;
  Beat b;
  auto sites = c.sites();
  EXPECT_TRUE(sites && !sites->empty());
  if (!sites || sites->empty()) return b;
  b.site_id = sites->front().id;
  auto t = c.template_for_site(b.site_id);
  EXPECT_TRUE(t) << (t ? "" : t.error().message);
  if (!t) return b;
  b.template_id = t->id;
  b.template_version = t->version;
  for (const auto& it : t->items) b.codes.push_back(it.code);
  EXPECT_GE(b.codes.size(), 2u);
  return b;
}

InspectionDraft draft(const Beat& b, ItemResult first = ItemResult::ok) {
  InspectionDraft d;
  d.site_id = b.site_id;
  d.position = GeoPoint{28.8571, 121.1432, 8.0, "wgs84"};
  d.items.push_back({b.codes.at(0), first, first == ItemResult::hazard ? "飞线" : "", {}});
  d.items.push_back({b.codes.at(1), ItemResult::ok, "", {}});
  return d;
}

std::string device_id(Client& c) {
  return c.status()->device_id;
}

std::string spki_sha256_of_pem(const fs::path& pem) {
  FILE* f = std::fopen(pem.c_str(), "r");
  if (!f) return {};
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (!cert) return {};
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  EVP_Digest(der, static_cast<std::size_t>(len), md, &n, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  X509_free(cert);
  static constexpr char k[] = "0123456789abcdef";
  std::string h;
  for (unsigned i = 0; i < n; ++i) {
    h += k[md[i] >> 4];
    h += k[md[i] & 0xf];
  }
  return h;
}

// ------------------------------------------------------------------ end to end

TEST(SdkEndToEnd, ReportWithPhotoPositionsAndSosReachTheServerOverTls) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  auto c = open_client(ddir.path(), srv.port(), [](ClientOptions& o) {
    o.photo_chunk_bytes = 100 * 1024;  // several resumable chunks
  });
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  ASSERT_FALSE(beat.site_id.empty());
  auto rounds = c->rounds();
  ASSERT_TRUE(rounds);

  const fs::path photo = ddir.path() / "hazard.jpg";
  {
    std::ofstream o(photo, std::ios::binary);
    for (int i = 0; i < 300000; ++i) o.put(static_cast<char>(i * 31 + 7));
  }
  auto sha = c->attach_photo(photo.string());
  ASSERT_TRUE(sha) << sha.error().message;
  auto d = draft(beat, ItemResult::hazard);
  d.items[0].photos.push_back(*sha);
  d.note = "三楼窗口飞线充电";
  auto receipt = c->enqueue_inspection(d);
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->state, ReceiptState::saved);
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(c->enqueue_positions({{now - 20s, 28.857, 121.143, 5.0},
                                    {now - 10s, 28.858, 121.144, 5.0},
                                    {now, 28.859, 121.145, std::nullopt}}));
  auto sos = c->raise_sos(GeoPoint{28.859, 121.145, 5.0, "wgs84"}, "需要支援");
  ASSERT_TRUE(sos) << sos.error().message;
  EXPECT_EQ(c->status()->pending, 4);

  std::vector<SyncProgress> progress;
  auto r = c->sync([&](const SyncProgress& p) { progress.push_back(p); });
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->pushed, 4);
  EXPECT_EQ(r->rejected, 0);
  EXPECT_EQ(r->photos_uploaded, 1);
  // The server has the photo: the device's copy is gone.
  EXPECT_FALSE(fs::exists(ddir.path() / "photos" / *sha)) << "copy kept after upload";
  for (const auto& e : fs::recursive_directory_iterator(ddir.path() / "photos"))
    EXPECT_FALSE(e.is_regular_file()) << e.path();
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().pushed, 4);

  auto st = c->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pending, 0);
  EXPECT_EQ(st->in_flight, 0);
  EXPECT_EQ(st->photos_pending, 0);
  EXPECT_TRUE(st->last_sync_at.has_value());
  ASSERT_TRUE(st->clock_offset_ms.has_value());
  EXPECT_LT(std::abs(*st->clock_offset_ms), 5000);  // same machine: same clock

  auto rc = c->receipt(receipt->report_id);
  ASSERT_TRUE(rc);
  EXPECT_EQ(rc->state, ReceiptState::received);
  EXPECT_FALSE(rc->received_at.empty());
  EXPECT_EQ(c->receipt(sos->report_id)->state, ReceiptState::received);

  ServerDb db(sdir.path());
  EXPECT_EQ(db.count("SELECT count(*) FROM inspections WHERE id=?", receipt->report_id), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM attachments WHERE sha256=?", *sha), 1);
  EXPECT_EQ(db.count("SELECT size FROM attachments WHERE sha256=?", *sha), 300000);
  EXPECT_EQ(db.count("SELECT count(*) FROM sos_alerts WHERE id=?", sos->report_id), 1);
  EXPECT_EQ(db.count("SELECT count(*) FROM positions WHERE device_id=?", device_id(*c)), 3);

  std::set<EventType> seen;
  bool receipt_event = false;
  while (auto e = c->poll_event()) {
    seen.insert(e->type);
    if (e->type == EventType::report_received && e->op_id == receipt->report_id)
      receipt_event = true;
  }
  EXPECT_TRUE(receipt_event);  // names the report, as the app knows it
  EXPECT_TRUE(seen.count(EventType::report_received));
  EXPECT_TRUE(seen.count(EventType::photo_uploaded));
  EXPECT_TRUE(seen.count(EventType::reference_data_changed));
  EXPECT_TRUE(seen.count(EventType::sync_finished));
}

TEST(SdkEndToEnd, RejectedOpBecomesADeadLetterWithTheServersReason) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  auto c = open_client(ddir.path(), srv.port());
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  auto d = draft(beat);
  d.site_id = "no-such-site";
  d.template_id = beat.template_id;
  d.template_version = beat.template_version;
  auto bad = c->enqueue_inspection(d);
  ASSERT_TRUE(bad) << bad.error().message;
  auto good = c->enqueue_inspection(draft(beat));
  ASSERT_TRUE(good);
  auto r = c->sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->pushed, 1);
  EXPECT_EQ(r->rejected, 1);
  auto dl = c->dead_letters();
  ASSERT_TRUE(dl);
  ASSERT_EQ(dl->size(), 1u);
  EXPECT_EQ((*dl)[0].type, "inspection.create");
  EXPECT_FALSE((*dl)[0].code.empty());
  EXPECT_FALSE((*dl)[0].message.empty());
  auto st = c->status();
  EXPECT_EQ(st->pending, 0);
  EXPECT_EQ(st->dead_letters, 1);
  EXPECT_EQ(c->receipt(bad->report_id)->state, ReceiptState::rejected);
  EXPECT_EQ(c->receipt(good->report_id)->state, ReceiptState::received);
  bool event = false;
  while (auto e = c->poll_event())
    if (e->type == EventType::op_rejected && e->op_id == (*dl)[0].op_id) event = true;
  EXPECT_TRUE(event);
}

// With `connections` push connections (the urgent lane goes alone either way).
void back_from_offline_sos_and_current_position_arrive_before_the_backlog(std::size_t connections) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  auto c = open_client(ddir.path(), srv.port(), [&](ClientOptions& o) {
    o.batch_max_ops = 1;
    o.push_connections = connections;
  });
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  ASSERT_TRUE(c->set_online(false));  // an hour in the stairwells
  const auto t0 = std::chrono::system_clock::now() - 1h;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(c->enqueue_inspection(draft(beat)));
    const auto t = t0 + std::chrono::minutes(10 * i);
    ASSERT_TRUE(c->enqueue_positions({{t, 28.85, 121.14, 5.0}, {t + 1min, 28.851, 121.141, 5.0}}));
  }
  auto sos = c->raise_sos(GeoPoint{28.86, 121.15, 4.0, "wgs84"}, "");
  ASSERT_TRUE(sos);
  ASSERT_TRUE(c->set_online(true));
  auto r = c->sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->pushed, 6 + 12 + 1);
  ServerDb db(sdir.path());
  const std::string dev = device_id(*c);
  // One op per request: the server's own arrival order is the send order.
  const auto newest_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>((t0 + 51min).time_since_epoch())
          .count();
  EXPECT_EQ(db.count("SELECT t FROM positions WHERE device_id=? ORDER BY seq LIMIT 1", dev),
            newest_ms);
  EXPECT_LE(db.count("SELECT received_at FROM sos_alerts WHERE id=?", sos->report_id),
            db.count("SELECT min(received_ms) FROM inspections WHERE device_id=?", dev));
  EXPECT_EQ(db.count("SELECT count(*) FROM positions WHERE device_id=?", dev), 12);
}

TEST(SdkEndToEnd, BackFromOfflineSosAndCurrentPositionArriveBeforeTheBacklog) {
  back_from_offline_sos_and_current_position_arrive_before_the_backlog(1);
}

TEST(SdkEndToEnd, BackFromOfflineWithTwoPushConnectionsTheUrgentLaneStillGoesFirst) {
  back_from_offline_sos_and_current_position_arrive_before_the_backlog(2);
}

TEST(SdkEndToEnd, CertificateIsVerifiedPinnedOrExplicitlyAccepted) {
  TempDir sdir("patrol-srv"), d1("patrol-dev"), d2("patrol-dev"), d3("patrol-dev");
  PatroldProcess srv(sdir.path());
  // Default: the self-signed demo certificate is refused, clearly.
  auto strict = open_client(d1.path(), srv.port(), [](ClientOptions& o) { o.insecure = false; });
  ASSERT_TRUE(strict);
  auto st = strict->login(kVolunteer, kPassword);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::network);
  EXPECT_FALSE(st.error().retryable);
  EXPECT_NE(st.error().message.find("TLS handshake"), std::string::npos) << st.error().message;
  // Pinning the server's key trusts it without `insecure`.
  const std::string pin = spki_sha256_of_pem(sdir.path() / "tls-cert.pem");
  ASSERT_EQ(pin.size(), 64u);
  auto pinned = open_client(d2.path(), srv.port(), [&](ClientOptions& o) {
    o.insecure = false;
    o.spki_sha256_pins = {pin};
  });
  ASSERT_TRUE(pinned);
  EXPECT_TRUE(pinned->login(kVolunteer, kPassword));
  // A wrong pin is refused.
  auto wrong = open_client(d3.path(), srv.port(), [&](ClientOptions& o) {
    o.insecure = false;
    o.spki_sha256_pins = {std::string(64, 'a')};
  });
  ASSERT_TRUE(wrong);
  auto w = wrong->login(kVolunteer, kPassword);
  ASSERT_FALSE(w);
  EXPECT_NE(w.error().message.find("pinned"), std::string::npos) << w.error().message;
}

TEST(SdkEndToEnd, RevokedSessionAsksForLoginAndKeepsTheOutbox) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  auto c = open_client(ddir.path(), srv.port());
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  // Revoke the device's token on the server, as an expiry would.
  std::string token;
  {
    auto db = sqlite::Database::open((ddir.path() / "device.db").string());
    ASSERT_TRUE(db);
    auto s = db->prepare("SELECT value FROM settings WHERE key='token'");
    ASSERT_TRUE(s && *s->step());
    token = s->column_text(0);
  }
  {
    TransportOptions to;
    to.server_url = url(srv.port());
    to.insecure = true;
    auto t = make_default_transport(to);
    ASSERT_TRUE(t);
    HttpRequest req;
    req.method = "POST";
    req.target = "/api/v1/auth/logout";
    req.headers = {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}};
    req.body = "{}";
    auto resp = (*t)->send(req);
    ASSERT_TRUE(resp);
    ASSERT_EQ(resp->status / 100, 2u) << resp->body;
  }

  auto rep = c->enqueue_inspection(draft(beat));
  ASSERT_TRUE(rep);
  auto r = c->sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::not_logged_in);
  auto st = c->status();
  EXPECT_TRUE(st->login_required);
  EXPECT_EQ(st->pending, 1);
  bool asked = false;
  while (auto e = c->poll_event()) asked |= e->type == EventType::login_required;
  EXPECT_TRUE(asked);
  ASSERT_TRUE(c->login(kVolunteer, kPassword));
  auto r2 = c->sync();
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(c->status()->pending, 0);
  EXPECT_EQ(c->receipt(rep->report_id)->state, ReceiptState::received);
}

// ------------------------------------------------------------------ faults

// A server restored from an older backup has a shorter change log than the
// device's cursor: it answers 409 cursor_reset, and the SDK must forget its
// cache and pull everything again instead of waiting forever.
TEST(SdkEndToEnd, CursorPastTheServersLogIsResetAndPulledAfresh) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  {
    auto c = open_client(ddir.path(), srv.port());
    ASSERT_TRUE(c);
    auto beat = login_and_pull(*c);
    ASSERT_FALSE(beat.site_id.empty());
  }
  {
    auto db = sqlite::Database::open((ddir.path() / "device.db").string());
    ASSERT_TRUE(db);
    ASSERT_FALSE(db->exec("UPDATE settings SET value='900000000' WHERE key='cursor'"));
  }
  auto c = open_client(ddir.path(), srv.port());
  ASSERT_TRUE(c);
  auto pulled = c->pull();
  ASSERT_TRUE(pulled) << pulled.error().message;
  EXPECT_GT(*pulled, 0) << "everything in scope is pulled again";
  auto st = c->status();
  ASSERT_TRUE(st);
  EXPECT_GT(st->cursor, 0);
  EXPECT_LT(st->cursor, 900000000);
  auto sites = c->sites();
  ASSERT_TRUE(sites);
  EXPECT_FALSE(sites->empty());
}

TEST(SdkFaults, ThousandsOfOpsThroughAFlakyNetworkLandExactlyOnce) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  FaultPlan plan;
  plan.reset_request = 0.2;
  plan.reset_response = 0.2;
  plan.stall = 0.06;
  plan.stall_for = 1500ms;
  FaultProxy proxy(srv.port(), plan, 2026);
  auto c = open_client(ddir.path(), proxy.port(), [](ClientOptions& o) {
    o.background_sync = true;
    o.request_timeout = 1000ms;  // a stall becomes a timeout quickly
    o.backoff_initial = 10ms;
    o.backoff_max = 200ms;
    o.batch_max_ops = 50;
  });
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c, 50);
  ASSERT_FALSE(beat.site_id.empty());

  constexpr int kInspections = 2000;
  constexpr int kTracks = 200;  // 3 points each, 2 ops each
  std::set<std::string> reports;
  const auto t0 = std::chrono::system_clock::now();
  for (int i = 0; i < kInspections; ++i) {
    auto d = draft(beat, i % 7 == 0 ? ItemResult::hazard : ItemResult::ok);
    d.note = "report " + std::to_string(i);
    auto r = c->enqueue_inspection(d);
    ASSERT_TRUE(r) << r.error().message;
    reports.insert(r->report_id);
    if (i % 10 == 0) {
      const auto t = t0 + std::chrono::seconds(i);
      ASSERT_TRUE(c->enqueue_positions({{t, 28.85, 121.14, 5.0},
                                        {t + 1s, 28.851, 121.141, 5.0},
                                        {t + 2s, 28.852, 121.142, 5.0}}));
    }
    if (i == kInspections / 2) {  // the network goes away for a while
      const auto before = proxy.stats().cut_resets;
      proxy.cut();
      c->sync_now();
      ASSERT_TRUE(patrol::test::wait_until([&] { return proxy.stats().cut_resets > before; }, 10s));
    }
    if (i == kInspections / 2 + 300) proxy.restore();
  }
  proxy.restore();
  {
    // And at least one stall longer than the request timeout, for certain.
    const auto before = proxy.stats().stalls;
    FaultPlan stall_all = plan;
    stall_all.reset_request = stall_all.reset_response = 0;
    stall_all.stall = 1;
    stall_all.max_client_bytes = 200;
    proxy.set_plan(stall_all);
    c->sync_now();
    ASSERT_TRUE(patrol::test::wait_until([&] { return proxy.stats().stalls > before; }, 10s));
    proxy.set_plan(plan);
  }
  c->sync_now();
  ASSERT_TRUE(patrol::test::wait_until([&] { return c->status()->pending == 0; }, 100s))
      << "outbox did not drain: " << c->status()->pending << " left, last error "
      << c->status()->last_error;
  auto fs = proxy.stats();
  EXPECT_GT(fs.reset_request, 0u);
  EXPECT_GT(fs.reset_response, 0u);
  EXPECT_GT(fs.stalls, 0u);
  EXPECT_GT(fs.cut_resets, 0u);
  std::cout << "[ proxy    ] connections " << fs.connections << ", reset mid-request "
            << fs.reset_request << ", mid-response " << fs.reset_response << ", stalls "
            << fs.stalls << ", cut resets " << fs.cut_resets << "\n";

  EXPECT_EQ(c->status()->dead_letters, 0);
  ServerDb db(sdir.path());
  const std::string dev = device_id(*c);
  EXPECT_EQ(db.count("SELECT count(*) FROM inspections WHERE device_id=?", dev), kInspections);
  EXPECT_EQ(db.count("SELECT count(DISTINCT id) FROM inspections WHERE device_id=?", dev),
            kInspections);
  EXPECT_EQ(db.strings("SELECT id FROM inspections WHERE device_id=?", dev), reports);
  EXPECT_EQ(db.count("SELECT count(*) FROM positions WHERE device_id=?", dev), kTracks * 3);
  EXPECT_EQ(db.count("SELECT count(*) FROM ops WHERE device_id=?", dev),
            kInspections + kTracks * 2);
}

TEST(SdkFaults, ServerDownThenUpBacklogSyncsAfterOnlySetOnline) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  auto srv = std::make_unique<PatroldProcess>(sdir.path());
  FaultProxy proxy(srv->port(), FaultPlan{}, 1);
  auto c = open_client(ddir.path(), proxy.port(), [](ClientOptions& o) {
    o.background_sync = true;
    o.backoff_initial = 30s;  // the engine alone would not retry within this test
    o.backoff_max = 60s;
  });
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  srv->kill9();
  srv.reset();
  std::set<std::string> reports;
  for (int i = 0; i < 300; ++i) {
    auto r = c->enqueue_inspection(draft(beat));
    ASSERT_TRUE(r);
    reports.insert(r->report_id);
  }
  // The engine tries, fails and backs off.
  ASSERT_TRUE(patrol::test::wait_until([&] { return !c->status()->last_error.empty(); }, 10s));
  EXPECT_EQ(c->status()->pending, 300);

  srv = std::make_unique<PatroldProcess>(sdir.path(), false);
  proxy.set_upstream(srv->port());
  ASSERT_TRUE(c->set_online(true));  // what the app does when the OS says "network back"
  ASSERT_TRUE(patrol::test::wait_until([&] { return c->status()->pending == 0; }, 20s))
      << c->status()->pending << " left: " << c->status()->last_error;
  ServerDb db(sdir.path());
  EXPECT_EQ(db.strings("SELECT id FROM inspections WHERE device_id=?", device_id(*c)), reports);
}

// Runs patrolctl with args; stdout captured. kill_after: SIGKILL after that
// long (if still running). Returns {exit status or -signal, stdout}.
std::pair<int, std::string> run_patrolctl(const std::vector<std::string>& args,
                                          std::optional<std::chrono::milliseconds> kill_after,
                                          const std::string& input = {}) {
  int out[2], in[2];
  if (::pipe(out) != 0 || ::pipe(in) != 0) return {-1000, ""};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::close(in[1]);
    ::setsid();  // no controlling terminal: patrolctl cannot ask for a password
    ::dup2(out[1], 1);
    const int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, 2);
    ::close(out[0]);
    std::vector<char*> argv;
    std::string bin = PATROLCTL_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy(args);
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(bin.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(in[0]);
  ::signal(SIGPIPE, SIG_IGN);  // the child may exit before reading its input
  if (!input.empty()) (void)!::write(in[1], input.data(), input.size());
  ::close(in[1]);
  std::atomic<bool> exited{false};
  std::thread killer;
  if (kill_after)
    killer = std::thread([pid, d = *kill_after, &exited] {
      const auto until = std::chrono::steady_clock::now() + d;
      while (!exited && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(2ms);
      // Not reaped yet, so the pid cannot have been reused: harmless if it exited.
      if (!exited) ::kill(pid, SIGKILL);
    });
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<std::size_t>(n));
  ::close(out[0]);
  exited = true;  // stdout closed: it exited (or was killed)
  if (killer.joinable()) killer.join();
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), text};
}

TEST(SdkFaults, KillNineOfPatrolctlLosesNothingAndAppliesNothingTwice) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  const std::vector<std::string> base = {"--server", url(srv.port()), "--data-dir",
                                         ddir.path().string(), "--insecure"};
  auto with = [&](std::vector<std::string> more) {
    auto a = base;
    a.insert(a.end(), more.begin(), more.end());
    return a;
  };
  // A bare password argument is refused (ps, shell history), and without a
  // terminal the password must come from --password-stdin (or --password-arg).
  EXPECT_EQ(run_patrolctl(with({"login", kVolunteer, kPassword}), std::nullopt).first, 2);
  EXPECT_EQ(run_patrolctl(with({"login", kVolunteer}), std::nullopt).first, 2);
  ASSERT_EQ(
      run_patrolctl(with({"login", kVolunteer, "--password-arg", kPassword}), std::nullopt).first,
      0);
  ASSERT_EQ(run_patrolctl(with({"login", kVolunteer, "--password-stdin"}), std::nullopt,
                          std::string(kPassword) + "\n")
                .first,
            0);
  auto sites = run_patrolctl(with({"sites", "--json"}), std::nullopt);
  ASSERT_EQ(sites.first, 0);
  auto sites_json = boost::json::parse(sites.second);
  ASSERT_FALSE(sites_json.as_array().empty());
  const std::string site(sites_json.as_array()[0].as_object().at("id").as_string());
  std::string code;
  {
    auto c = open_client(ddir.path(), srv.port());
    auto t = c->template_for_site(site);
    ASSERT_TRUE(t);
    code = t->items.at(0).code;
  }

  std::mt19937 rng(7);
  std::set<std::string> printed;
  int killed = 0, runs = 0;
  // At least 40 runs, and on until 12 of them were killed: how many die in
  // flight depends on how fast this build of patrolctl is (a release build
  // often finishes a report inside 150 ms), and the point is to kill it.
  for (int i = 0; i < 40 || (killed < 12 && i < 400); ++i, ++runs) {
    // Two runs in three die early (start-up, enqueue), one late (sync, or done).
    const auto after = std::chrono::milliseconds(i % 3 != 2 ? rng() % 150 : 300 + rng() % 1200);
    auto args =
        i % 4 == 3
            ? with({"sync"})
            : with({"report", site, "--item", code + "=ok", "--note", "run " + std::to_string(i)});
    auto [rc, out] = run_patrolctl(args, after);
    if (rc == -SIGKILL) ++killed;
    for (std::size_t p = out.find("report "); p != std::string::npos;
         p = out.find("report ", p + 1)) {
      const auto end = out.find(" saved on phone", p);
      if (end != std::string::npos && end - p - 7 == 36) printed.insert(out.substr(p + 7, 36));
    }
  }
  EXPECT_GE(killed, 12);
  // What patrolctl lists before the drain (some reports saved, some received).
  auto receipts_by_id = [&] {
    std::map<std::string, boost::json::object> out;
    auto [code, text] = run_patrolctl(with({"receipts", "--json"}), std::nullopt);
    EXPECT_EQ(code, 0) << text;
    if (code != 0) return out;
    const auto listed = boost::json::parse(text);  // kept alive for the loop
    for (const auto& r : listed.as_array())
      out[std::string(r.at("report_id").as_string())] = r.as_object();
    return out;
  };
  // One report saved while offline, so the drain has a waiting receipt to
  // move from its outbox row to `receipts` (device schema 6).
  ASSERT_EQ(run_patrolctl(with({"offline"}), std::nullopt).first, 0);
  ASSERT_EQ(run_patrolctl(with({"report", site, "--item", code + "=ok", "--note", "offline"}),
                          std::nullopt)
                .first,
            0);
  ASSERT_EQ(run_patrolctl(with({"online"}), std::nullopt).first, 0);
  const auto listed_before = receipts_by_id();
  EXPECT_FALSE(listed_before.empty());
  // Restart for good: everything drains.
  int rc = -1;
  std::string said;
  // The runs above spent this user's request budget (--user-rate-limit: 10/s,
  // burst 100): a 429 says retry after 1 s, as an app would.
  for (int i = 0; i < 10 && rc != 0; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::tie(rc, said) = run_patrolctl(with({"sync"}), std::nullopt);
  }
  ASSERT_EQ(rc, 0) << said;
  auto status = run_patrolctl(with({"status", "--json"}), std::nullopt);
  auto sj = boost::json::parse(status.second).as_object();
  EXPECT_EQ(sj.at("pending").as_int64(), 0);
  EXPECT_EQ(sj.at("in_flight").as_int64(), 0);
  EXPECT_EQ(sj.at("dead_letters").as_int64(), 0);
  const std::string dev(sj.at("device_id").as_string());
  // Each receipt answers the same after the acknowledgement (device schema 6
  // moves a waiting receipt from its outbox row to `receipts`): same op,
  // kind, site and saved time; a saved one is now received.
  const auto listed_after = receipts_by_id();
  std::size_t moved = 0;
  for (const auto& [id, was] : listed_before) {
    auto now = listed_after.find(id);
    ASSERT_NE(now, listed_after.end()) << id;
    for (const char* k : {"op_id", "kind", "site_id", "saved_at"})
      EXPECT_EQ(now->second.at(k), was.at(k)) << id << " " << k;
    EXPECT_EQ(now->second.at("state"), "received") << id;
    if (was.at("state") == "saved")
      ++moved;
    else
      EXPECT_EQ(now->second.at("received_at"), was.at("received_at")) << id;
  }
  EXPECT_GE(moved, 1u);

  // Every report the device database holds is on the server exactly once;
  // every report patrolctl said it saved is among them.
  std::set<std::string> on_device;
  {
    auto db = sqlite::Database::open((ddir.path() / "device.db").string());
    ASSERT_TRUE(db);
    auto s = db->prepare("SELECT report_id FROM all_receipts WHERE kind='inspection'");
    ASSERT_TRUE(s);
    while (*s->step()) on_device.insert(s->column_text(0));
  }
  ServerDb db(sdir.path());
  const auto on_server = db.strings("SELECT id FROM inspections WHERE device_id=?", dev);
  EXPECT_EQ(db.count("SELECT count(*) FROM inspections WHERE device_id=?", dev),
            static_cast<std::int64_t>(on_server.size()));
  EXPECT_EQ(on_server, on_device);
  for (const auto& p : printed) EXPECT_TRUE(on_server.count(p)) << "lost " << p;
  EXPECT_GT(printed.size(), 3u);
  std::cout << "[ kill -9  ] " << killed << " of " << runs << " runs killed; " << on_device.size()
            << " reports saved, " << printed.size() << " confirmed before the kill; " << moved
            << " receipts went from saved to received in the drain\n";
}

// ------------------------------------------------------------------ bad answers

TEST(SdkBadAnswers, GarbageWrongStatusOversizedAndWrongShapeLeaveTheOutboxIntact) {
  ::signal(SIGPIPE, SIG_IGN);
  test::BadServer bad;
  std::string mode = "ok";
  std::mutex mu;
  bad.set_handler([&](const test::RawRequest& r) -> std::string {
    std::lock_guard lk(mu);
    if (r.target == "/api/v1/auth/login")
      return test::BadServer::response(
          200, R"({"token":"t0k","expires_at":"2030-01-01T00:00:00Z",)"
               R"("user":{"id":"u1","name":"Vol","role":"volunteer","org_unit_id":"1"}})");
    if (mode == "garbage") return test::BadServer::response(200, "<html>proxy error page</html>");
    if (mode == "status") return test::BadServer::response(502, "bad gateway", "text/plain");
    if (mode == "oversized") return test::BadServer::response(200, std::string(17u << 20, ' '));
    if (mode == "wrong_shape") return test::BadServer::response(200, R"({"results":"nope"})");
    if (mode == "not_ours")
      return test::BadServer::response(
          200,
          R"({"results":[{"op_id":"0193a000-0000-7000-8000-000000000000","status":"applied"}],)"
          R"("server_time":"2026-11-28T12:00:00Z"})");
    if (mode == "hang_up") return "";
    return test::BadServer::response(500, "{}");
  });
  TempDir ddir("patrol-dev");
  auto c = open_client(ddir.path(), bad.port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->login(kVolunteer, kPassword));
  for (int i = 0; i < 3; ++i) {
    InspectionDraft d;
    d.site_id = "s1";
    d.template_id = "t1";
    d.template_version = 1;
    d.items.push_back({"corridor_clutter", ItemResult::ok, "", {}});
    ASSERT_TRUE(c->enqueue_inspection(d));
  }
  const std::map<std::string, ErrorCode> cases = {
      {"garbage", ErrorCode::protocol},   {"status", ErrorCode::server},
      {"oversized", ErrorCode::protocol}, {"wrong_shape", ErrorCode::protocol},
      {"not_ours", ErrorCode::protocol},  {"hang_up", ErrorCode::network}};
  for (const auto& [m, code] : cases) {
    SCOPED_TRACE("mode " + m);
    {
      std::lock_guard lk(mu);
      mode = m;
    }
    auto r = c->sync();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code) << r.error().message;
    EXPECT_TRUE(r.error().retryable);
    EXPECT_FALSE(r.error().message.empty());
    std::cout << "[ " << m << " ] " << r.error().message << "\n";
    auto st = c->status();
    EXPECT_EQ(st->pending, 3);
    EXPECT_EQ(st->in_flight, 0);
    EXPECT_EQ(st->dead_letters, 0);
    EXPECT_EQ(st->last_error, r.error().message);
  }
}

// ------------------------------------------------------------------ wedges

// Runs one SQL statement on the device database (the client closed or not:
// WAL lets both write), e.g. to plant what an older SDK or a bit flip left.
void device_sql(const fs::path& dir, const std::string& sql) {
  auto db = sqlite::Database::open((dir / "device.db").string());
  ASSERT_TRUE(db);
  ASSERT_FALSE(db->exec(sql)) << sql;
}

// An op whose JSON got corrupted makes the server refuse the whole request
// (400) every time. The SDK finds it by halving the batch, sets it aside as
// a dead letter with the server's reason, and the ops around it go; the app
// can list, retry and dismiss it.
TEST(SdkWedges, AnOpTheServerAlwaysRefusesIsSetAsideAndTheOpsBehindItGo) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  auto c = open_client(ddir.path(), srv.port());
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  std::set<std::string> reports;
  for (int i = 0; i < 2; ++i) reports.insert(c->enqueue_inspection(draft(beat))->report_id);
  device_sql(ddir.path(),
             "INSERT INTO outbox(op_id, lane, type, op_json, enqueued_at) VALUES("
             "'0193a5c4-7b7e-7c3a-9d1e-3f5a2b6c8d91', 1, 'inspection.create', "
             "'{\"op_id\":\"0193a5c4-7b7e-7c3a-9d1e-3f5a2b6c8d91\",\"type\":', '')");
  for (int i = 0; i < 3; ++i) reports.insert(c->enqueue_inspection(draft(beat))->report_id);
  auto r = c->sync();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->pushed, 5);
  EXPECT_EQ(r->rejected, 1);
  ServerDb db(sdir.path());
  EXPECT_EQ(db.strings("SELECT id FROM inspections WHERE device_id=?", device_id(*c)), reports);
  auto dl = c->dead_letters();
  ASSERT_TRUE(dl);
  ASSERT_EQ(dl->size(), 1u);
  EXPECT_EQ((*dl)[0].op_id, "0193a5c4-7b7e-7c3a-9d1e-3f5a2b6c8d91");
  EXPECT_FALSE((*dl)[0].code.empty());
  EXPECT_NE((*dl)[0].message.find("400"), std::string::npos) << (*dl)[0].message;
  EXPECT_EQ(c->status()->pending, 0);

  // Retry: back in the outbox, refused again, set aside again.
  ASSERT_TRUE(c->retry_dead_letter((*dl)[0].op_id));
  EXPECT_EQ(c->status()->pending, 1);
  EXPECT_EQ(c->status()->dead_letters, 0);
  auto r2 = c->sync();
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(r2->rejected, 1);
  EXPECT_EQ(c->status()->dead_letters, 1);
  // Dismiss: gone for good.
  ASSERT_TRUE(c->dismiss_dead_letter((*dl)[0].op_id));
  EXPECT_EQ(c->status()->dead_letters, 0);
  EXPECT_EQ(c->dismiss_dead_letter((*dl)[0].op_id).error().code, ErrorCode::not_found);
  EXPECT_EQ(c->retry_dead_letter("nope").error().code, ErrorCode::not_found);
}

// A server that answers 500 whenever one particular op is in the request: that
// op is set aside after a bounded number of attempts (the others go), and a
// server that refuses every push is reported as such instead of being retried
// forever or emptying the outbox into dead letters.
TEST(SdkWedges, ServerFailingOneOpIsolatesItAndRefusingAllIsNotRetriedForever) {
  ::signal(SIGPIPE, SIG_IGN);
  test::BadServer bad;
  std::mutex mu;
  std::string poison;  // op id the server chokes on
  bool refuse_all = false;
  std::set<std::string> applied;
  bad.set_handler([&](const test::RawRequest& r) -> std::string {
    std::lock_guard lk(mu);
    if (r.target == "/api/v1/auth/login")
      return test::BadServer::response(
          200, R"({"token":"t0k","expires_at":"2099-01-01T00:00:00Z",)"
               R"("user":{"id":"u1","name":"Vol","role":"volunteer","org_unit_id":"1"}})");
    if (r.target.rfind("/api/v1/sync/pull", 0) == 0)
      return test::BadServer::response(200, R"({"cursor":0,"has_more":false,"changes":[]})");
    if (r.target != "/api/v1/sync/push") return test::BadServer::response(404, "{}");
    if (refuse_all)
      return test::BadServer::response(
          400, R"({"error":{"code":"invalid_format","field":"device_id","message":"no"}})");
    auto v = boost::json::parse(r.body);
    std::string results;
    for (const auto& op : v.at("ops").as_array()) {
      const std::string id(op.at("op_id").as_string());
      if (id == poison)
        return test::BadServer::response(500, R"({"error":{"code":"internal","message":"x"}})");
      applied.insert(id);
      results += std::string(results.empty() ? "" : ",") + R"({"op_id":")" + id +
                 R"(","status":"applied"})";
    }
    return test::BadServer::response(
        200, R"({"results":[)" + results + R"(],"server_time":"2026-11-28T12:00:00Z"})");
  });
  TempDir ddir("patrol-dev");
  auto c = open_client(ddir.path(), bad.port());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->login(kVolunteer, kPassword));
  auto sos = [&] { return c->raise_sos(GeoPoint{28.86, 121.15, 4.0, "wgs84"}, ""); };
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(sos());
  {
    auto out = c->receipts(10);
    std::lock_guard lk(mu);
    poison = (*out)[2].op_id;  // the second one queued
  }
  int attempts = 0;
  Result<SyncSummary> r = make_error(ErrorCode::internal, "not tried");
  while (!(r = c->sync()) && ++attempts < 10) {
    EXPECT_TRUE(r.error().retryable) << r.error().message;
    EXPECT_EQ(r.error().code, ErrorCode::server);
  }
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_LE(attempts, 3);  // bounded: the third failure alone sets it aside
  EXPECT_EQ(c->status()->pending, 0);
  auto dl = c->dead_letters();
  ASSERT_EQ(dl->size(), 1u);
  EXPECT_EQ((*dl)[0].op_id, poison);
  EXPECT_EQ((*dl)[0].code, "internal");
  {
    std::lock_guard lk(mu);
    EXPECT_EQ(applied.size(), 3u);
    refuse_all = true;
  }
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(sos());
  auto refused = c->sync();
  ASSERT_FALSE(refused);
  EXPECT_FALSE(refused.error().retryable) << refused.error().message;
  // At most one op was set aside before the pattern showed; the rest wait.
  EXPECT_GE(c->status()->pending, 2);
  EXPECT_LE(c->status()->dead_letters, 2);
  bool told = false;
  while (auto e = c->poll_event()) told |= e->type == EventType::sync_failed && !e->retryable;
  EXPECT_TRUE(told);
}

// A device clock 20 years off gave an offset the server refuses (it takes
// ±10 years). Whatever is stored, later pushes go, and each answer
// re-estimates the offset.
TEST(SdkWedges, ClockOffsetTwentyYearsOffNeverMakesPushesFail) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  {
    auto c = open_client(ddir.path(), srv.port());
    ASSERT_TRUE(c);
    login_and_pull(*c);
  }
  const std::int64_t twenty_years_ms = 20LL * 365 * 24 * 3600 * 1000;
  for (const std::int64_t off : {twenty_years_ms, -twenty_years_ms}) {
    SCOPED_TRACE(off);
    device_sql(ddir.path(),
               "INSERT OR REPLACE INTO settings(key, value) VALUES("
               "'clock_offset_ms', '" +
                   std::to_string(off) + "')");
    auto c = open_client(ddir.path(), srv.port());
    ASSERT_TRUE(c);
    auto rep = c->raise_sos(GeoPoint{28.86, 121.15, 4.0, "wgs84"}, "");
    ASSERT_TRUE(rep);
    auto r = c->sync();
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->pushed, 1);
    EXPECT_EQ(c->receipt(rep->report_id)->state, ReceiptState::received);
    auto st = c->status();
    ASSERT_TRUE(st->clock_offset_ms.has_value());
    EXPECT_LT(std::abs(*st->clock_offset_ms), 60000);  // re-estimated from the answer
  }
}

// The engine is backing off (30 s) from a network cut; an SOS raised in the
// cut must reach the server within a second of the network coming back.
// set_online(true) likewise starts a sync at once, backoff or not.
TEST(SdkWedges, SosDuringBackoffReachesTheServerWithinASecondOfConnectivity) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  FaultProxy proxy(srv.port(), FaultPlan{}, 7);
  auto c = open_client(ddir.path(), proxy.port(), [](ClientOptions& o) {
    o.background_sync = true;
    o.backoff_initial = 30s;
    o.backoff_max = 60s;
  });
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  ServerDb db(sdir.path());
  auto on_server = [&](const std::string& id) {
    return db.count("SELECT count(*) FROM sos_alerts WHERE id=?", id) == 1;
  };
  proxy.cut();
  ASSERT_TRUE(c->enqueue_inspection(draft(beat)));
  ASSERT_TRUE(patrol::test::wait_until([&] { return !c->status()->last_error.empty(); }, 10s));
  auto sos = c->raise_sos(GeoPoint{28.86, 121.15, 4.0, "wgs84"}, "");
  ASSERT_TRUE(sos);
  std::this_thread::sleep_for(1500ms);  // a few failed tries in the cut
  ASSERT_FALSE(on_server(sos->report_id));
  proxy.restore();
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(patrol::test::wait_until([&] { return on_server(sos->report_id); }, 10s));
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";

  // Offline by the app's word, an SOS waits; set_online(true) sends it at once.
  ASSERT_TRUE(c->set_online(false));
  auto sos2 = c->raise_sos(std::nullopt, "second");
  ASSERT_TRUE(sos2);
  std::this_thread::sleep_for(300ms);
  ASSERT_FALSE(on_server(sos2->report_id));
  const auto t1 = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->set_online(true));
  ASSERT_TRUE(patrol::test::wait_until([&] { return on_server(sos2->report_id); }, 10s));
  EXPECT_LT(std::chrono::steady_clock::now() - t1, 1s);
}

// An expired token is known without asking the server; a new login keeps the outbox.
TEST(SdkWedges, ExpiredTokenIsCheckedLocallyAndReloginKeepsTheOutbox) {
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  FaultProxy proxy(srv.port(), FaultPlan{}, 3);
  auto c = open_client(ddir.path(), proxy.port());
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c);
  auto rep = c->enqueue_inspection(draft(beat));
  ASSERT_TRUE(rep);
  device_sql(ddir.path(),
             "UPDATE settings SET value='2020-01-01T00:00:00Z' WHERE key='token_expires_at'");
  const auto before = proxy.stats().connections;
  auto r = c->sync();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::not_logged_in);
  EXPECT_EQ(proxy.stats().connections, before);  // no request was made
  EXPECT_TRUE(c->status()->login_required);
  EXPECT_EQ(c->status()->pending, 1);
  ASSERT_TRUE(c->login(kVolunteer, kPassword));
  auto r2 = c->sync();
  ASSERT_TRUE(r2) << r2.error().message;
  EXPECT_EQ(c->receipt(rep->report_id)->state, ReceiptState::received);
}

// ------------------------------------------------------------------ disk faults

// The device's disk misbehaving under the SDK (the shim in
// tests/support/fault_vfs.cpp, installed as this process's default SQLite VFS;
// patrold is a child process and unaffected): the Nth read, write (as a full
// disk), sync, lock or open fails, swept over enqueue, enqueue, sync. Each
// failing call reports a storage error to the app; what was queued stays
// queued; afterwards the device database passes integrity_check and every
// report the SDK said it saved is on the server exactly once, none twice.
TEST(SdkFaults, DiskFaultsDuringEnqueueAndSyncAreReportedAndLoseOrDoubleNothing) {
  auto& vfs = test::FaultVfs::install();  // before the device database is opened
  vfs.disarm();
  TempDir sdir("patrol-srv"), ddir("patrol-dev");
  PatroldProcess srv(sdir.path());
  auto c = open_client(ddir.path(), srv.port());
  ASSERT_TRUE(c);
  auto beat = login_and_pull(*c, 50);
  ASSERT_FALSE(beat.site_id.empty());
  const std::string dev = device_id(*c);

  struct Kind {
    unsigned ops;
    bool disk_full;
    const char* name;
  };
  const std::vector<Kind> kinds = {{test::FaultVfs::kWrite, true, "write (disk full)"},
                                   {test::FaultVfs::kSync, false, "sync"},
                                   {test::FaultVfs::kRead, false, "read"},
                                   {test::FaultVfs::kLock, false, "lock"},
                                   {test::FaultVfs::kOpen, false, "open"}};
  std::set<std::string> saved;  // reports the SDK said were saved
  int refused = 0, sync_failures = 0;
  std::uint64_t injected = 0;
  int i = 0;
  for (const auto& k : kinds) {
    for (std::uint64_t n : {1, 2, 3, 5, 8, 13, 21, 34}) {
      vfs.fail_nth(k.ops, n, /*sticky=*/false, k.disk_full);
      for (int e = 0; e < 2; ++e) {
        auto d = draft(beat);
        d.note = std::string(k.name) + " #" + std::to_string(n) + " " + std::to_string(i++);
        auto r = c->enqueue_inspection(d);
        if (r) {
          saved.insert(r->report_id);
        } else {
          ++refused;
          EXPECT_EQ(r.error().code, ErrorCode::storage) << k.name << " " << r.error().message;
        }
      }
      auto sy = c->sync();
      if (!sy) ++sync_failures;
      injected += vfs.failures();
      vfs.disarm();
    }
  }
  EXPECT_GT(injected, 0u);
  EXPECT_GT(refused, 0) << "no enqueue ever failed: the sweep tested nothing";
  std::cout << "[ faults   ] " << injected << " I/O failures injected, " << refused
            << " enqueues refused, " << sync_failures << " syncs failed, " << saved.size()
            << " reports saved\n";

  // The disk is well again: everything queued goes, once.
  for (int attempt = 0; attempt < 5 && c->status()->pending > 0; ++attempt) (void)c->sync();
  auto st = c->status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->pending, 0) << st->last_error;
  EXPECT_EQ(st->dead_letters, 0);
  {
    auto db = sqlite::Database::open((ddir.path() / "device.db").string());
    ASSERT_TRUE(db);
    auto check = db->prepare("PRAGMA integrity_check");
    ASSERT_TRUE(check);
    auto row = check->step();
    ASSERT_TRUE(row && *row);
    EXPECT_EQ(check->column_text(0), "ok");
  }
  ServerDb server(sdir.path());
  for (const auto& id : saved) {
    EXPECT_EQ(server.count("SELECT count(*) FROM inspections WHERE id=?", id), 1) << id;
    auto rc = c->receipt(id);
    ASSERT_TRUE(rc);
    EXPECT_EQ(rc->state, ReceiptState::received);
  }
  // A refused enqueue whose commit reached the disk before its sync failed may
  // still have gone (SQLite cannot tell), but nothing went twice.
  const auto total = server.count("SELECT count(*) FROM inspections WHERE device_id=?", dev);
  EXPECT_GE(total, static_cast<std::int64_t>(saved.size()));
  EXPECT_LE(total, static_cast<std::int64_t>(saved.size()) + refused);
  EXPECT_EQ(server.count("SELECT count(DISTINCT id) FROM inspections WHERE device_id=?", dev),
            total);
}

}  // namespace
}  // namespace patrol
