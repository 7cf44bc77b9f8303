// patrolctl: a command-line volunteer on the client SDK. Each run is one
// process on the device database in --data-dir, exactly like a phone app
// that is started, used and killed again.
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "gpx.hpp"
#include "patrol/client.hpp"

namespace {

using namespace patrol;
namespace json = boost::json;

// Exit codes: stable, documented in --help.
enum Exit : int {
  kOk = 0,
  kInternal = 1,
  kUsage = 2,
  kAuthFailed = 3,
  kNotLoggedIn = 4,
  kNetwork = 5,
  kServer = 6,
  kStorage = 7,
  kNotFound = 8,
  kOffline = 9,
  kRejected = 10,
};

constexpr const char* kHelp =
    R"(patrolctl — a command-line patrol volunteer on the Patrol client SDK

usage: patrolctl --server URL --data-dir DIR [--insecure] [--pin SHA256] COMMAND [ARGS]

commands:
  login PHONE [--password-stdin | --password-arg PASSWORD]
                                log in and remember the session in the device database;
                                the password is read from the terminal without echo, or
                                from the first line of standard input (--password-stdin);
                                --password-arg puts it on the command line (visible to
                                other users in ps and kept in shell history: tests only)
  logout                        forget the session (queued reports are kept)
  pull                          fetch reference data (sites, templates, rounds, hazards)
  sites [--json]                cached sites
  rounds [--json]               cached rounds (tonight's marked with *)
  report SITE_ID --item CODE=RESULT ... [--note TEXT] [--photo [CODE=]FILE] [--round ID]
         [--point LAT,LON[,ACCURACY]]
                                save an inspection (RESULT: ok | hazard | not_applicable);
                                when online it is sent at once
  track --gpx FILE | --point LAT,LON[,ACCURACY]
                                queue positions (the newest one goes first)
  sos [--note TEXT] [--point LAT,LON[,ACCURACY]]
                                raise an SOS (urgent lane)
  round start|finish ROUND_ID   start / finish a round (judged by when it was done)
  round checkin ROUND_ID SITE_ID [--point LAT,LON[,ACCURACY]]
                                check in at a site of the round
  hazard rectify|verify|reject HAZARD_ID [--note TEXT] [--photo FILE]
                                the owner fixed it / the fix holds / it does not
                                (reject sends the hazard back to assigned)
  offline | online              stop / resume sending (remembered)
  sync                          push everything, upload photos, then pull
  status [--json]               pending, in_flight, dead_letters, online, last_sync_at, ...
  dead-letters [--json]         ops the server rejected, with its reasons
  receipts [--json]             the latest reports: saved on phone / received by server

options:
  --server URL      https://host:port of patrold (needed by commands that talk to it)
  --data-dir DIR    the device database and photo store (created if missing)
  --insecure        accept a self-signed server certificate (the demo's)
  --pin SHA256      trust the server whose public key (SPKI) has this SHA-256 (hex/base64)

exit codes:
  0  success (for report/track/sos: saved on the phone, even if not sent yet)
  1  internal error            2  usage error
  3  login refused             4  not logged in / session expired: log in again
  5  network: server unreachable, timeout, TLS failure
  6  the server answered with an error or an unusable reply
  7  device storage error      8  not found (unknown site, nothing cached)
  9  the device is set offline 10 the server rejected some ops (see dead-letters)
)";

struct Args {
  std::string server, data_dir, pin;
  bool insecure = false;
  std::string command;
  std::vector<std::string> rest;
};

int exit_for(const Error& e) {
  switch (e.code) {
    case ErrorCode::invalid_argument:
      return kUsage;
    case ErrorCode::not_found:
      return kNotFound;
    case ErrorCode::not_logged_in:
      return kNotLoggedIn;
    case ErrorCode::auth_failed:
      return kAuthFailed;
    case ErrorCode::network:
      return kNetwork;
    case ErrorCode::server:
    case ErrorCode::protocol:
      return kServer;
    case ErrorCode::storage:
      return kStorage;
    case ErrorCode::offline:
      return kOffline;
    case ErrorCode::rejected:
      return kRejected;
    default:
      return kInternal;
  }
}

std::string hint(const Error& e) {
  switch (e.code) {
    case ErrorCode::not_logged_in:
      return " (run: patrolctl ... login PHONE)";
    case ErrorCode::offline:
      return " (run: patrolctl ... online)";
    case ErrorCode::network:
      return " (queued work is kept and sent later)";
    default:
      return "";
  }
}

int report_error(const Error& e) {
  std::cerr << "patrolctl: " << e.message << hint(e) << "\n";
  return exit_for(e);
}

// Asks on the controlling terminal with echo off (restored however the read
// ends). nullopt when there is no terminal (cron, a pipe, a test).
std::optional<std::string> read_password_from_terminal() {
  const int fd = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  termios old{};
  if (::tcgetattr(fd, &old) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  quiet.c_lflag |= ECHONL;
  static constexpr char kPrompt[] = "Password: ";
  (void)!::write(fd, kPrompt, sizeof kPrompt - 1);
  (void)::tcsetattr(fd, TCSAFLUSH, &quiet);
  std::string line;
  char ch = 0;
  while (::read(fd, &ch, 1) == 1 && ch != '\n') line.push_back(ch);
  (void)::tcsetattr(fd, TCSAFLUSH, &old);
  ::close(fd);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int usage(const std::string& msg) {
  std::cerr << "patrolctl: " << msg << "\nrun 'patrolctl --help' for usage\n";
  return kUsage;
}

bool has_flag(std::vector<std::string>& rest, const std::string& flag) {
  for (auto it = rest.begin(); it != rest.end(); ++it)
    if (*it == flag) {
      rest.erase(it);
      return true;
    }
  return false;
}

std::optional<GeoPoint> parse_point(const std::string& s) {
  GeoPoint p;
  std::vector<double> v;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    char* end = nullptr;
    const double d = std::strtod(part.c_str(), &end);
    if (part.empty() || *end != '\0') return std::nullopt;
    v.push_back(d);
  }
  if (v.size() < 2 || v.size() > 3) return std::nullopt;
  if (v[0] < -90 || v[0] > 90 || v[1] < -180 || v[1] > 180) return std::nullopt;
  p.lat = v[0];
  p.lon = v[1];
  if (v.size() == 3) {
    if (v[2] < 0) return std::nullopt;
    p.accuracy_m = v[2];
  }
  return p;
}

// A progress bar on a terminal, nothing otherwise (scripts read stdout).
class Progress {
 public:
  Progress() : tty_(::isatty(2) != 0) {}
  void operator()(const SyncProgress& p) {
    if (!tty_ || p.total == 0) return;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(kWidth * std::min(p.pushed, p.total) / p.total);
    std::fprintf(stderr, "\r  sending [%s%s] %lld/%lld", std::string(filled, '#').c_str(),
                 std::string(kWidth - filled, '.').c_str(), static_cast<long long>(p.pushed),
                 static_cast<long long>(p.total));
    std::fflush(stderr);
    drawn_ = true;
  }
  void done() {
    if (drawn_) std::fprintf(stderr, "\n");
    drawn_ = false;
  }

 private:
  bool tty_;
  bool drawn_ = false;
};

// Runs one sync and prints a friendly summary. Returns the exit code.
int run_sync(Client& c, bool quiet_when_ok) {
  Progress bar;
  auto r = c.sync([&](const SyncProgress& p) { bar(p); });
  bar.done();
  if (!r) return report_error(r.error());
  if (!quiet_when_ok || r->rejected > 0) {
    std::cout << "synced: " << r->pushed << " sent";
    if (r->rejected) std::cout << ", " << r->rejected << " rejected (see dead-letters)";
    if (r->photos_uploaded) std::cout << ", " << r->photos_uploaded << " photo(s) uploaded";
    std::cout << ", " << r->pulled << " reference change(s) pulled\n";
  }
  return r->rejected > 0 ? kRejected : kOk;
}

bool is_online(Client& c) {
  auto s = c.status();
  return s && s->online;
}

// Sends at once when online; a failure leaves the work queued (exit 0: saved).
bool server_given = false;  // set once in run(): --server was given

void send_if_online(Client& c) {
  if (!server_given) {
    std::cout << "kept on the phone (no --server given: run 'patrolctl --server URL ... sync')\n";
    return;
  }
  if (!is_online(c)) {
    std::cout << "offline: kept on the phone, will be sent when online\n";
    return;
  }
  Progress bar;
  auto r = c.sync([&](const SyncProgress& p) { bar(p); });
  bar.done();
  if (!r) std::cout << "not sent yet (" << r.error().message << "); kept on the phone\n";
}

std::string receipt_line(const Receipt& r) {
  switch (r.state) {
    case ReceiptState::saved:
      return "saved on phone at " + r.saved_at;
    case ReceiptState::received:
      return "received by server at " + r.received_at;
    case ReceiptState::rejected:
      return "REJECTED by server: " + r.reason;
  }
  return {};
}

json::value parsed_or_string(const std::string& s) {
  boost::system::error_code ec;
  auto v = json::parse(s, ec);
  if (ec) return json::value(s);
  return v;
}

int cmd_status(Client& c, bool as_json) {
  auto s = c.status();
  if (!s) return report_error(s.error());
  if (as_json) {
    json::object o;
    o["pending"] = s->pending;
    o["in_flight"] = s->in_flight;
    o["dead_letters"] = s->dead_letters;
    o["online"] = s->online;
    o["last_sync_at"] = s->last_sync_at ? json::value(*s->last_sync_at) : json::value(nullptr);
    o["photos_pending"] = s->photos_pending;
    o["logged_in"] = s->logged_in;
    o["login_required"] = s->login_required;
    o["clock_offset_ms"] =
        s->clock_offset_ms ? json::value(*s->clock_offset_ms) : json::value(nullptr);
    o["cursor"] = s->cursor;
    o["device_id"] = s->device_id;
    o["user"] = {{"id", s->user_id}, {"name", s->user_name}};
    o["last_error"] = s->last_error.empty() ? json::value(nullptr) : json::value(s->last_error);
    std::cout << json::serialize(o) << "\n";
    return kOk;
  }
  std::cout << (s->online ? "online" : "OFFLINE (nothing is sent)") << "\n";
  if (s->login_required)
    std::cout << "session expired: log in again\n";
  else if (s->logged_in)
    std::cout << "logged in as " << (s->user_name.empty() ? s->user_id : s->user_name) << "\n";
  else
    std::cout << "not logged in\n";
  std::cout << "pending:      " << s->pending << " op(s)";
  if (s->in_flight) std::cout << " (" << s->in_flight << " in flight)";
  std::cout << "\nphotos:       " << s->photos_pending << " to upload\n";
  std::cout << "dead letters: " << s->dead_letters << "\n";
  std::cout << "last sync:    " << s->last_sync_at.value_or("never") << "\n";
  if (s->clock_offset_ms)
    std::cout << "clock offset: " << *s->clock_offset_ms << " ms (server - phone)\n";
  if (!s->last_error.empty()) std::cout << "last error:   " << s->last_error << "\n";
  return kOk;
}

int cmd_dead_letters(Client& c, bool as_json) {
  auto d = c.dead_letters();
  if (!d) return report_error(d.error());
  if (as_json) {
    json::array a;
    for (const auto& x : *d)
      a.push_back({{"op_id", x.op_id},
                   {"type", x.type},
                   {"code", x.code},
                   {"field", x.field},
                   {"message", x.message},
                   {"rejected_at", x.rejected_at},
                   {"local_seq", x.local_seq},
                   {"op", parsed_or_string(x.op_json)}});
    std::cout << json::serialize(a) << "\n";
    return kOk;
  }
  if (d->empty()) std::cout << "no dead letters: the server accepted everything\n";
  for (const auto& x : *d)
    std::cout << x.op_id << "  " << x.type << "  " << x.code
              << (x.field.empty() ? "" : " (" + x.field + ")") << ": " << x.message << "\n";
  return kOk;
}

int cmd_receipts(Client& c, bool as_json) {
  auto rs = c.receipts(50);
  if (!rs) return report_error(rs.error());
  if (as_json) {
    json::array a;
    for (const auto& r : *rs)
      a.push_back({{"report_id", r.report_id},
                   {"op_id", r.op_id},
                   {"kind", r.kind},
                   {"site_id", r.site_id},
                   {"state", r.state == ReceiptState::saved      ? "saved"
                             : r.state == ReceiptState::received ? "received"
                                                                 : "rejected"},
                   {"saved_at", r.saved_at},
                   {"received_at",
                    r.received_at.empty() ? json::value(nullptr) : json::value(r.received_at)},
                   {"reason", r.reason}});
    std::cout << json::serialize(a) << "\n";
    return kOk;
  }
  if (rs->empty()) std::cout << "no reports yet\n";
  for (const auto& r : *rs)
    std::cout << r.kind << " " << r.report_id << (r.site_id.empty() ? "" : " @ " + r.site_id)
              << ": " << receipt_line(r) << "\n";
  return kOk;
}

int cmd_sites(Client& c, bool as_json) {
  auto s = c.sites();
  if (!s) return report_error(s.error());
  if (as_json) {
    json::array a;
    for (const auto& x : *s) a.push_back(parsed_or_string(x.json));
    std::cout << json::serialize(a) << "\n";
    return kOk;
  }
  if (s->empty()) std::cout << "no sites cached (run: patrolctl ... pull)\n";
  for (const auto& x : *s)
    std::cout << x.id << "  " << x.name << "  [" << x.category << "]"
              << (x.address.empty() ? "" : "  " + x.address) << "\n";
  return kOk;
}

int cmd_rounds(Client& c, bool as_json) {
  auto rs = c.rounds();
  if (!rs) return report_error(rs.error());
  auto tonight = c.tonights_round();
  const std::string tonight_id = tonight ? tonight->id : "";
  if (as_json) {
    json::array a;
    for (const auto& r : *rs) {
      json::value v = parsed_or_string(r.json);
      if (v.is_object()) {
        json::array ids;
        for (const auto& s : r.site_ids) ids.push_back(json::value(s));
        v.as_object()["site_ids"] = std::move(ids);
        v.as_object()["tonight"] = r.id == tonight_id;
      }
      a.push_back(std::move(v));
    }
    std::cout << json::serialize(a) << "\n";
    return kOk;
  }
  if (rs->empty()) std::cout << "no rounds cached (run: patrolctl ... pull)\n";
  for (const auto& r : *rs)
    std::cout << (r.id == tonight_id ? "* " : "  ") << r.id << "  " << r.date << "  " << r.status
              << "  " << r.site_ids.size() << " site(s)\n";
  return kOk;
}

int cmd_report(Client& c, std::vector<std::string> rest) {
  if (rest.empty() || rest[0].rfind("--", 0) == 0) return usage("report needs a SITE_ID");
  InspectionDraft d;
  d.site_id = rest[0];
  std::vector<std::string> photos;
  for (std::size_t i = 1; i < rest.size(); ++i) {
    const std::string& a = rest[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= rest.size()) return std::nullopt;
      return rest[++i];
    };
    if (a == "--item") {
      auto v = value();
      if (!v) return usage("--item needs CODE=RESULT");
      auto eq = v->find('=');
      if (eq == std::string::npos || eq == 0) return usage("--item needs CODE=RESULT, got " + *v);
      InspectionItem it;
      it.code = v->substr(0, eq);
      const std::string res = v->substr(eq + 1);
      if (res == "ok")
        it.result = ItemResult::ok;
      else if (res == "hazard")
        it.result = ItemResult::hazard;
      else if (res == "not_applicable" || res == "na" || res == "n/a")
        it.result = ItemResult::not_applicable;
      else
        return usage("item result must be ok, hazard or not_applicable (got '" + res + "')");
      d.items.push_back(std::move(it));
    } else if (a == "--note") {
      auto v = value();
      if (!v) return usage("--note needs TEXT");
      d.note = *v;
    } else if (a == "--photo") {
      auto v = value();
      if (!v) return usage("--photo needs FILE");
      photos.push_back(*v);
    } else if (a == "--round") {
      auto v = value();
      if (!v) return usage("--round needs an ID");
      d.round_id = *v;
    } else if (a == "--point") {
      auto v = value();
      auto p = v ? parse_point(*v) : std::nullopt;
      if (!p) return usage("--point needs LAT,LON[,ACCURACY]");
      d.position = p;
    } else {
      return usage("report: unknown argument '" + a + "'");
    }
  }
  if (d.items.empty()) return usage("report needs at least one --item CODE=RESULT");
  for (const auto& ph : photos) {
    // --photo CODE=FILE attaches to that item; a bare FILE to the first hazard.
    std::string code, file = ph;
    if (auto eq = ph.find('='); eq != std::string::npos) {
      const std::string maybe = ph.substr(0, eq);
      for (const auto& it : d.items)
        if (it.code == maybe) {
          code = maybe;
          file = ph.substr(eq + 1);
        }
    }
    auto sha = c.attach_photo(file);
    if (!sha) return report_error(sha.error());
    InspectionItem* target = nullptr;
    for (auto& it : d.items)
      if ((!code.empty() && it.code == code) || (code.empty() && it.result == ItemResult::hazard)) {
        target = &it;
        break;
      }
    if (!target) target = &d.items.front();
    target->photos.push_back(*sha);
  }
  // The site's template comes from the cache; fetch it once if we can.
  if (!c.site(d.site_id) && is_online(c)) (void)c.pull();
  // Catch a mistyped item code here, while the volunteer can still fix it.
  if (auto t = c.template_for_site(d.site_id)) {
    for (const auto& it : d.items) {
      bool known = false;
      for (const auto& ti : t->items) known |= ti.code == it.code;
      if (!known) {
        std::string codes;
        for (const auto& ti : t->items) codes += "\n  " + ti.code + "  " + ti.label_zh;
        return usage("item '" + it.code + "' is not on the checklist of site " + d.site_id +
                     "; its items are:" + codes);
      }
    }
  }
  auto r = c.enqueue_inspection(d);
  if (!r) return report_error(r.error());
  // Flushed at once: a script (or a test killing us) sees the durable save
  // even if the sync after it never finishes.
  std::cout << "report " << r->report_id << " saved on phone" << std::endl;
  send_if_online(c);
  auto now = c.receipt(r->report_id);
  if (now) {
    std::cout << "receipt: " << receipt_line(*now) << "\n";
    if (now->state == ReceiptState::rejected) return kRejected;
  }
  return kOk;
}

int cmd_track(Client& c, std::vector<std::string> rest) {
  std::vector<TrackPoint> pts;
  if (rest.size() == 2 && rest[0] == "--gpx") {
    std::ifstream in(rest[1], std::ios::binary);
    if (!in) return usage("cannot read " + rest[1]);
    std::stringstream ss;
    ss << in.rdbuf();
    auto p = cli::parse_gpx(ss.str());
    if (!p) return report_error(p.error());
    pts = std::move(*p);
  } else if (rest.size() == 2 && rest[0] == "--point") {
    auto p = parse_point(rest[1]);
    if (!p) return usage("--point needs LAT,LON[,ACCURACY]");
    pts.push_back({std::chrono::system_clock::now(), p->lat, p->lon, p->accuracy_m});
  } else {
    return usage("track needs --gpx FILE or --point LAT,LON[,ACCURACY]");
  }
  auto n = c.enqueue_positions(pts);
  if (!n) return report_error(n.error());
  std::cout << pts.size() << " point(s) queued in " << *n << " op(s)\n";
  send_if_online(c);
  return kOk;
}

int cmd_sos(Client& c, std::vector<std::string> rest) {
  std::optional<GeoPoint> pos;
  std::string note;
  for (std::size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == "--note" && i + 1 < rest.size()) {
      note = rest[++i];
    } else if (rest[i] == "--point" && i + 1 < rest.size()) {
      pos = parse_point(rest[++i]);
      if (!pos) return usage("--point needs LAT,LON[,ACCURACY]");
    } else {
      return usage("sos: unknown argument '" + rest[i] + "'");
    }
  }
  auto r = c.raise_sos(pos, note);
  if (!r) return report_error(r.error());
  std::cout << "SOS " << r->report_id << " saved on phone (sent first)" << std::endl;
  send_if_online(c);
  if (auto now = c.receipt(r->report_id)) std::cout << "receipt: " << receipt_line(*now) << "\n";
  return kOk;
}

int cmd_round(Client& c, std::vector<std::string> rest) {
  if (rest.size() < 2) return usage("round needs start|finish|checkin ROUND_ID [SITE_ID]");
  const std::string action = rest[0];
  std::string site;
  std::optional<GeoPoint> pos;
  std::size_t i = 2;
  if (action == "checkin") {
    if (rest.size() < 3) return usage("round checkin needs ROUND_ID SITE_ID");
    site = rest[2];
    i = 3;
  }
  for (; i < rest.size(); ++i) {
    if (rest[i] == "--point" && i + 1 < rest.size()) {
      pos = parse_point(rest[++i]);
      if (!pos) return usage("--point needs LAT,LON[,ACCURACY]");
    } else {
      return usage("round: unknown argument '" + rest[i] + "'");
    }
  }
  auto r = c.enqueue_round_op(action, rest[1], site, pos);
  if (!r) return report_error(r.error());
  std::cout << "round " << action << " saved on phone" << std::endl;
  send_if_online(c);
  if (auto now = c.receipt(r->report_id)) std::cout << "receipt: " << receipt_line(*now) << "\n";
  return kOk;
}

int cmd_hazard(Client& c, std::vector<std::string> rest) {
  if (rest.size() < 2) return usage("hazard needs rectify|verify|reject HAZARD_ID");
  const std::string& verb = rest[0];
  std::string to = verb == "rectify"  ? "rectified"
                   : verb == "verify" ? "verified"
                   : verb == "reject" ? "assigned"
                                      : "";
  if (to.empty()) return usage("hazard: rectify, verify or reject");
  std::string note;
  std::vector<std::string> photos;
  for (std::size_t i = 2; i < rest.size(); ++i) {
    if (rest[i] == "--note" && i + 1 < rest.size()) {
      note = rest[++i];
    } else if (rest[i] == "--photo" && i + 1 < rest.size()) {
      auto sha = c.attach_photo(rest[++i]);
      if (!sha) return report_error(sha.error());
      photos.push_back(*sha);
    } else {
      return usage("hazard: unknown argument '" + rest[i] + "'");
    }
  }
  auto r = c.enqueue_hazard_transition(rest[1], to, note, photos);
  if (!r) return report_error(r.error());
  std::cout << "hazard " << rest[1] << " -> " << to << " saved on phone" << std::endl;
  send_if_online(c);
  if (auto now = c.receipt(r->report_id)) std::cout << "receipt: " << receipt_line(*now) << "\n";
  return kOk;
}

int run(Args a) {
  if (a.data_dir.empty()) return usage("--data-dir DIR is required");
  ClientOptions o;
  o.data_dir = a.data_dir;
  o.server_url = a.server;
  o.insecure = a.insecure;
  if (!a.pin.empty()) o.spki_sha256_pins.push_back(a.pin);
  o.background_sync = false;  // one process per command: sync only when asked
  server_given = !a.server.empty();
  auto opened = Client::open(std::move(o));
  if (!opened) return report_error(opened.error());
  Client& c = **opened;
  auto& rest = a.rest;
  const bool as_json = has_flag(rest, "--json");
  const auto& cmd = a.command;
  const bool needs_server = cmd == "login" || cmd == "pull" || cmd == "sync";
  if (needs_server && a.server.empty()) return usage(cmd + " needs --server URL");

  if (cmd == "login") {
    if (rest.empty() || rest[0].rfind("--", 0) == 0) return usage("login needs PHONE");
    std::string password;
    if (rest.size() == 2 && rest[1] == "--password-stdin") {
      if (!std::getline(std::cin, password)) return usage("--password-stdin: no line on stdin");
      if (!password.empty() && password.back() == '\r') password.pop_back();
    } else if (rest.size() == 3 && rest[1] == "--password-arg") {
      password = rest[2];
    } else if (rest.size() == 1) {
      auto p = read_password_from_terminal();
      if (!p)
        return usage(
            "no terminal to ask for the password: use --password-stdin (or --password-arg)");
      password = std::move(*p);
    } else {
      return usage(
          "login PHONE [--password-stdin | --password-arg PASSWORD] (a bare password "
          "argument is refused: it shows in ps and shell history)");
    }
    if (password.empty()) return usage("empty password");
    auto st = c.login(rest[0], password);
    if (!st) return report_error(st.error());
    auto s = c.status();
    std::cout << "logged in as " << (s ? s->user_name : rest[0]) << "\n";
    if (is_online(c)) {
      auto p = c.pull();
      if (p) std::cout << "reference data: " << *p << " change(s) pulled\n";
    }
    return kOk;
  }
  if (cmd == "logout") {
    auto st = c.logout();
    if (!st) return report_error(st.error());
    std::cout << "logged out; queued reports are kept\n";
    return kOk;
  }
  if (!rest.empty() && cmd != "report" && cmd != "track" && cmd != "sos" && cmd != "round" &&
      cmd != "hazard")
    return usage(cmd + ": unexpected argument '" + rest[0] + "'");
  if (cmd == "pull") {
    auto p = c.pull();
    if (!p) return report_error(p.error());
    std::cout << "reference data: " << *p << " change(s) pulled\n";
    return kOk;
  }
  if (cmd == "sites") return cmd_sites(c, as_json);
  if (cmd == "rounds") return cmd_rounds(c, as_json);
  if (cmd == "report") return cmd_report(c, rest);
  if (cmd == "track") return cmd_track(c, rest);
  if (cmd == "sos") return cmd_sos(c, rest);
  if (cmd == "round") return cmd_round(c, rest);
  if (cmd == "hazard") return cmd_hazard(c, rest);
  if (cmd == "offline" || cmd == "online") {
    auto st = c.set_online(cmd == "online");
    if (!st) return report_error(st.error());
    std::cout << (cmd == "online" ? "online: queued work will be sent"
                                  : "offline: nothing will be sent")
              << "\n";
    return kOk;
  }
  if (cmd == "sync") return run_sync(c, false);
  if (cmd == "status") return cmd_status(c, as_json);
  if (cmd == "dead-letters") return cmd_dead_letters(c, as_json);
  if (cmd == "receipts") return cmd_receipts(c, as_json);
  return usage("unknown command '" + cmd + "'");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args a;
    int i = 1;
    for (; i < argc; ++i) {
      const std::string s = argv[i];
      auto value = [&]() -> std::optional<std::string> {
        if (i + 1 >= argc) return std::nullopt;
        return std::string(argv[++i]);
      };
      if (s == "-h" || s == "--help") {
        std::cout << kHelp;
        return kOk;
      } else if (s == "--server") {
        auto v = value();
        if (!v) return usage("--server needs a URL");
        a.server = *v;
      } else if (s == "--data-dir") {
        auto v = value();
        if (!v) return usage("--data-dir needs a directory");
        a.data_dir = *v;
      } else if (s == "--pin") {
        auto v = value();
        if (!v) return usage("--pin needs a SHA-256");
        a.pin = *v;
      } else if (s == "--insecure") {
        a.insecure = true;
      } else if (s.rfind("--", 0) == 0 && a.command.empty()) {
        return usage("unknown option '" + s + "'");
      } else {
        break;
      }
    }
    if (i >= argc) return usage("no command given");
    a.command = argv[i++];
    for (; i < argc; ++i) {
      const std::string s = argv[i];
      // Global options are also accepted after the command.
      if (s == "--insecure") {
        a.insecure = true;
      } else if ((s == "--server" || s == "--data-dir" || s == "--pin") && i + 1 < argc) {
        (s == "--server" ? a.server : s == "--data-dir" ? a.data_dir : a.pin) = argv[++i];
      } else {
        a.rest.push_back(s);
      }
    }
    return run(std::move(a));
  } catch (const std::exception& e) {
    std::cerr << "patrolctl: internal error: " << e.what() << "\n";
    return kInternal;
  }
}
