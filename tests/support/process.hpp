// Running the real programs from multi-process tests: start a daemon, wait for
// its readiness line, signal it; run a client to completion. No fixed sleeps:
// waits are on pipes and exit statuses, with timeouts.
#ifndef TTE_TESTS_PROCESS_HPP
#define TTE_TESTS_PROCESS_HPP

#include <sys/types.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace tte::test {

using namespace std::chrono_literals;

struct RunResult {
  int exit_code = -1;  // negative: killed by that signal
  std::string out;
  std::string err;
};

// Runs argv to completion (killing it after `timeout`), feeding `input` on stdin.
RunResult run(const std::vector<std::string>& argv, const std::string& input = "",
              std::chrono::milliseconds timeout = 120s);

class Process {
 public:
  // Starts argv with stdout on a pipe (read_line) and stderr appended to
  // stderr_path. With with_stdin, write_line() feeds its standard input.
  Process(const std::vector<std::string>& argv, const std::string& stderr_path,
          bool with_stdin = false);
  ~Process();  // kills the process if it still runs
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The next line of stdout, without the newline. Throws std::runtime_error on
  // timeout or end of output.
  std::string read_line(std::chrono::milliseconds timeout = 30s);
  void signal(int sig);
  void write_line(const std::string& line);  // needs with_stdin
  void write(const std::string& text);       // as it is, no newline added
  // Waits for the exit; returns the exit code (negative: the signal). Throws on timeout.
  int wait(std::chrono::milliseconds timeout = 30s);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdout_fd_ = -1;
  int stdin_fd_ = -1;
  std::string buffer_;
  bool exited_ = false;
  int status_ = 0;
};

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

std::string read_text(const std::string& path);
// The lines of `text`, without their newlines (empty ones kept).
std::vector<std::string> lines_of(const std::string& text);

// CPU seconds (user + system) process `pid` has used so far (benchmarks).
double cpu_seconds(pid_t pid);
void write_text(const std::string& path, const std::string& text);

// Whether `text` holds `part`.
inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Polls a condition until it holds or the deadline passes (no fixed sleeps
// in the tests' logic).
template <typename F>
bool eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return condition();
}

}  // namespace tte::test

#endif  // TTE_TESTS_PROCESS_HPP
