// Logging: one line per event on stderr, as text for people or JSON lines for
// machines (--log-format json). Thread-safe; lines never interleave.
#ifndef TTE_PLATFORM_LOG_HPP
#define TTE_PLATFORM_LOG_HPP

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace tte {

enum class LogFormat { text, json };
enum class LogLevel { debug, info, warning, error };

// Parses "text" or "json"; throws StartupError otherwise.
LogFormat parse_log_format(std::string_view name);

struct LogField {
  using Value = std::variant<std::string, std::int64_t, double, bool>;
  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  template <typename T,
            typename = std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>>
  LogField(std::string_view k, T v) : key(k), value(static_cast<std::int64_t>(v)) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}

  std::string key;
  Value value;
};

class Logger {
 public:
  Logger(std::string program, LogFormat format, LogLevel minimum = LogLevel::info,
         std::FILE* out = stderr);

  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(level, message, fields.begin(), fields.end());
  }
  void log(LogLevel level, std::string_view message, const std::vector<LogField>& fields) {
    log(level, message, fields.data(), fields.data() + fields.size());
  }
  void log(LogLevel level, std::string_view message, const LogField* begin, const LogField* end);
  void debug(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::debug, message, fields);
  }
  void info(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::info, message, fields);
  }
  void warning(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::warning, message, fields);
  }
  void error(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::error, message, fields);
  }

  LogFormat format() const { return format_; }

 private:
  std::string program_;
  LogFormat format_;
  LogLevel minimum_;
  std::FILE* out_;
  std::mutex mutex_;
};

// For an error that repeats with every request (the database is down, say): at
// most one line a second, which says how many like it were left out before it.
class RepeatLimiter {
 public:
  // Nothing: leave this one out. Else log it, with the count as "left_out".
  std::optional<std::int64_t> admit() {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (logged_ && now - last_ < std::chrono::seconds(1)) {
      ++left_out_;
      return std::nullopt;
    }
    logged_ = true;
    last_ = now;
    const std::int64_t left_out = left_out_;
    left_out_ = 0;
    return left_out;
  }

 private:
  std::mutex mutex_;
  bool logged_ = false;
  std::chrono::steady_clock::time_point last_{};
  std::int64_t left_out_ = 0;
};

// Wall-clock time now, as an RFC 3339 string with milliseconds.
std::string timestamp_now();

}  // namespace tte

#endif  // TTE_PLATFORM_LOG_HPP
