// libFuzzer target: the client SDK's handling of server answers. The input
// scripts a server — for each request the sync engine sends, a status and a
// body — and the real SyncEngine (pipelined push with its helper thread, the
// 413 halving and dead-letter bisect, photo HEAD/PUT, pull pages) runs one
// full sync over it against a real (in-memory) device database holding three
// queued ops. Whatever the answers: no crash, hang or out-of-bounds read, the
// database passes integrity_check, and an op leaves the outbox only as a dead
// letter or when an answer named it (never lost unanswered).
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "device_db.hpp"
#include "sync_engine.hpp"

namespace sdk = patrol::sdk;

namespace {

class ScriptedServer final : public patrol::Transport {
 public:
  explicit ScriptedServer(FuzzedDataProvider& in) : in_(in) {}
  patrol::Result<patrol::HttpResponse> send(const patrol::HttpRequest&) override {
    if (in_.remaining_bytes() == 0 || ++calls_ > 64)
      return patrol::make_error(patrol::ErrorCode::network, "script ended", true);
    static constexpr unsigned kStatuses[] = {200, 200, 200, 200, 201, 308, 400, 401,
                                             404, 409, 413, 422, 429, 500, 503};
    patrol::HttpResponse r;
    r.status = in_.PickValueInArray(kStatuses);
    if (in_.ConsumeBool())
      r.headers.emplace_back("upload-offset", std::to_string(in_.ConsumeIntegral<std::uint16_t>()));
    r.body = in_.ConsumeRandomLengthString(4096);
    answered_ += r.body;
    return r;
  }
  const std::string& answered() const { return answered_; }

 private:
  FuzzedDataProvider& in_;
  int calls_ = 0;
  std::string answered_;
};

std::string op_json(const std::string& id, const std::string& type) {
  return R"({"op_id":")" + id + R"(","type":")" + type +
         R"(","device_time":"2026-11-28T11:05:00.000Z","body":{}})";
}

}  // namespace

// A file database in /dev/shm where there is one (fsync is free there), so
// that it can be reopened and checked after the engine that owned it is gone.
std::string db_path() {
  static const std::string p = [] {
    std::error_code ec;
    const std::filesystem::path shm = "/dev/shm";
    const auto dir =
        std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
    return (dir / ("patrol-sdk-fuzz-" + std::to_string(::getpid()) + ".db")).string();
  }();
  return p;
}

void remove_db(const std::string& p) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(p + suffix, ec);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string path = db_path();
  remove_db(path);
  const std::vector<std::string> ids = {"op-1", "op-2", "op-3"};
  {
    auto db = sdk::DeviceDb::open(path);
    if (!db) std::abort();
    std::vector<sdk::NewOp> ops(3);
    ops[0] = {ids[0],
              "inspection.create",
              sdk::Lane::backlog,
              op_json(ids[0], "inspection.create"),
              "rep-1",
              "inspection",
              "site-1"};
    ops[1] = {ids[1],
              "position.append",
              sdk::Lane::backlog,
              op_json(ids[1], "position.append"),
              std::nullopt,
              "",
              ""};
    ops[2] = {ids[2], "sos.raise", sdk::Lane::urgent, op_json(ids[2], "sos.raise"), "rep-3",
              "sos",  ""};
    if (!db->enqueue(ops)) std::abort();
    if (!db->set_many({{std::string(sdk::keys::kToken), "t"},
                       {std::string(sdk::keys::kTokenExpiresAt), "2100-01-01T00:00:00Z"}}))
      std::abort();
    if (!db->add_photo({"ab", "/nonexistent/patrol-fuzz-photo", 10, false})) std::abort();
  }
  auto engine_db = sdk::DeviceDb::open(path, sdk::DeviceDb::Durability::relaxed);
  if (!engine_db) std::abort();
  auto server = std::make_unique<ScriptedServer>(in);
  auto* script = server.get();
  sdk::EngineConfig cfg;
  cfg.device_id = "fuzz-device";
  cfg.batch_max_ops = 2;  // two batches: the second is sent while the first answer applies
  cfg.jitter_seed = 1;
  std::string answered;
  {
    sdk::SyncEngine engine(cfg, std::move(*engine_db), std::move(server),
                           [](const patrol::Event&) {});
    (void)engine.sync({});
    answered = script->answered();
  }
  auto db = sdk::DeviceDb::open(path);
  if (!db) std::abort();
  {
    auto check = db->raw().prepare("PRAGMA integrity_check");
    if (!check) std::abort();
    auto row = check->step();
    if (!row || !*row || check->column_text(0) != "ok") std::abort();
  }
  auto queued = db->outbox(10);
  auto dead = db->dead_letters();
  if (!queued || !dead) std::abort();
  for (const auto& id : ids) {
    bool kept = false;
    for (const auto& o : *queued) kept = kept || o.op_id == id;
    for (const auto& d : *dead) kept = kept || d.op_id == id;
    // Gone without a trace: only after an answer that named it.
    if (!kept && answered.find(id) == std::string::npos) std::abort();
  }
  remove_db(path);
  return 0;
}
