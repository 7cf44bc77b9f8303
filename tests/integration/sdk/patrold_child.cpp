#include "patrold_child.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace patrol::test {

ScratchDir::ScratchDir(const std::string& prefix) {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

PatroldChild::PatroldChild(const std::filesystem::path& data_dir, bool demo,
                           std::vector<std::string> extra_args) {
  int out[2];
  if (::pipe(out) != 0) throw std::runtime_error("pipe failed");
  const std::string log = (data_dir / "patrold.log").string();
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    const int lf = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (lf >= 0) ::dup2(lf, 2);
    ::close(out[0]);
    std::vector<std::string> args = {PATROLD_BINARY, "--listen", "127.0.0.1:0", "--data-dir",
                                     data_dir.string()};
    if (demo) args.emplace_back("--demo");
    for (auto& a : extra_args) args.push_back(std::move(a));
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(out[1]);
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const std::string marker = "patrold listening on https://";
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{out[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[512];
    const ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n <= 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    auto at = text.find(marker);
    auto nl = at == std::string::npos ? at : text.find('\n', at);
    if (nl != std::string::npos) {
      const auto line = text.substr(at, nl - at);
      port_ = static_cast<std::uint16_t>(std::stoi(line.substr(line.rfind(':') + 1)));
      break;
    }
  }
  ::close(out[0]);  // patrold's later stdout (if any) goes nowhere
  if (port_ == 0) {
    kill9();
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    throw std::runtime_error("patrold did not start: " + text + " / log: " + ss.str());
  }
}

PatroldChild::~PatroldChild() {
  kill9();
}

void PatroldChild::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace patrol::test
