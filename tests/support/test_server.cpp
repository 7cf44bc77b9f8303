#include "test_support/test_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

extern char** environ;

#ifndef PATROLD_BINARY
#define PATROLD_BINARY "patrold"
#endif

namespace patrol::test {
namespace fs = std::filesystem;

TempDir::TempDir(std::string_view prefix) {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto p = fs::temp_directory_path() /
             (std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(p, ec)) {
      path_ = p;
      return;
    }
  }
  throw std::runtime_error("cannot create a temp directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

struct TestServer::Impl {
  std::unique_ptr<TempDir> temp;
  net::ServerConfig cfg;
  metrics::Metrics metrics;
  std::unique_ptr<api::Api> api;
  std::unique_ptr<live::Publisher> publisher;
  std::unique_ptr<net::Server> server;
  std::thread stopper;
  bool stopped = false;

  void stop() {
    if (stopper.joinable()) stopper.join();
    if (stopped) return;
    stopped = true;
    if (server) {
      server->request_stop();
      server->wait();
    }
    if (publisher) publisher->stop();
    if (api) api->shutdown();
  }
  ~Impl() {
    if (api) api->set_observer(nullptr);
  }
};

TestServerOptions without_request_rate_limits() {
  TestServerOptions o;
  o.configure = [](net::ServerConfig& cfg) {
    cfg.api.user_rate_per_s = 0;
    cfg.limits.rate_limit_per_ip = 0;
  };
  return o;
}

TestServer::TestServer(TestServerOptions o) : impl_(std::make_unique<Impl>()) {
  auto& cfg = impl_->cfg;
  if (o.data_dir.empty()) {
    impl_->temp = std::make_unique<TempDir>("patrol-server");
    cfg.api.data_dir = impl_->temp->path();
  } else {
    cfg.api.data_dir = o.data_dir;
    fs::create_directories(o.data_dir);
  }
  cfg.listen_host = "127.0.0.1";
  cfg.listen_port = 0;
  cfg.api.demo = o.demo;
  cfg.api.web_root = fs::path(PATROL_SOURCE_DIR) / "server" / "web";
  cfg.io_threads = o.io_threads;
  cfg.workers = o.workers;
  cfg.access_log = o.access_log;
  cfg.limits.shutdown_timeout = std::chrono::seconds(5);
  cfg.api.scrypt_log2_n = 10;  // the demo seed hashes passwords: keep it fast under ASan
  if (o.configure) o.configure(cfg);

  auto api = o.api_factory ? o.api_factory(cfg.api, impl_->metrics)
                           : api::Api::open(cfg.api, impl_->metrics);
  if (!api) throw std::runtime_error("Api::open: " + api.error().message());
  impl_->api = std::move(*api);
  net::LiveHooks hooks = std::move(o.live);
  if (!hooks.opened && !hooks.message && !hooks.closed) {
    auto lo = o.live_options;
    if (lo.metrics == nullptr) lo.metrics = &impl_->metrics;
    impl_->publisher =
        std::make_unique<live::Publisher>(impl_->api->store(), impl_->api->live_store(), lo);
    if (auto r = impl_->publisher->start(); !r) {
      impl_->api->shutdown();
      throw std::runtime_error("Publisher::start: " + r.error().message());
    }
    impl_->api->set_observer(impl_->publisher.get());
    hooks = impl_->publisher->hooks();
  }
  auto server = net::Server::create(cfg, *impl_->api, impl_->metrics, std::move(hooks));
  if (!server) {
    impl_->api->shutdown();
    throw std::runtime_error("Server::create: " + server.error().message);
  }
  impl_->server = std::move(*server);
  impl_->server->start();
}

TestServer::~TestServer() {
  impl_->stop();
}

std::uint16_t TestServer::port() const {
  return impl_->server->port();
}
const fs::path& TestServer::data_dir() const {
  return impl_->cfg.api.data_dir;
}
const net::ServerConfig& TestServer::config() const {
  return impl_->cfg;
}
metrics::Metrics& TestServer::metrics() {
  return impl_->metrics;
}
api::Api& TestServer::api() {
  return *impl_->api;
}
live::Publisher* TestServer::publisher() {
  return impl_->publisher.get();
}
void TestServer::stop() {
  impl_->stop();
}
void TestServer::stop_async() {
  if (impl_->stopper.joinable() || impl_->stopped) return;
  impl_->stopper = std::thread([impl = impl_.get()] {
    impl->stopped = true;
    impl->server->request_stop();
    impl->server->wait();
    if (impl->publisher) impl->publisher->stop();
    impl->api->shutdown();
  });
}

fs::path PatroldProcess::binary() {
  return PATROLD_BINARY;
}

PatroldProcess::PatroldProcess(const fs::path& data_dir, bool demo,
                               std::vector<std::string> extra_args) {
  fs::create_directories(data_dir.parent_path());  // the data dir itself is patrold's to make
  std::vector<std::string> args = {binary().string(),
                                   "--listen",
                                   "127.0.0.1:0",
                                   "--data-dir",
                                   data_dir.string(),
                                   "--web-root",
                                   (fs::path(PATROL_SOURCE_DIR) / "server" / "web").string()};
  if (demo) args.emplace_back("--demo");
  args.emplace_back("--scrypt-log2-n=10");
  for (auto& a : extra_args) args.push_back(std::move(a));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  // Beside a data dir that does not exist yet: patrold itself must create it.
  const auto log_path = (fs::exists(data_dir) ? data_dir / "patrold.log"
                                              : fs::path(data_dir.string() + ".patrold.log"))
                            .string();
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int rc = posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    throw std::runtime_error("cannot start " + args[0]);
  }
  stdout_fd_ = out[0];

  // Read stdout until the "listening" line (bounded by a deadline).
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  ::fcntl(stdout_fd_, F_SETFL, O_NONBLOCK);
  const std::string marker = "patrold listening on https://";
  while (std::chrono::steady_clock::now() < deadline) {
    char buf[512];
    const auto n = ::read(stdout_fd_, buf, sizeof buf);
    if (n > 0) {
      text.append(buf, static_cast<std::size_t>(n));
      const auto at = text.find(marker);
      const auto nl = at == std::string::npos ? std::string::npos : text.find('\n', at);
      if (nl != std::string::npos) {
        const auto line = text.substr(at, nl - at);
        port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
        return;
      }
      continue;
    }
    if (n == 0) break;  // exited
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill9();
  throw std::runtime_error("patrold did not start; see " + log_path + "; stdout: " + text);
}

PatroldProcess::~PatroldProcess() {
  kill9();
  if (stdout_fd_ >= 0) ::close(stdout_fd_);
}

void PatroldProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

int PatroldProcess::terminate() {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace patrol::test
