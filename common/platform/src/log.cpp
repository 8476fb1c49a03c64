#include "tte/platform/log.hpp"

#include <time.h>

#include <nlohmann/json.hpp>

#include "tte/platform/startup_error.hpp"
#include "tte/span.hpp"

namespace tte {
namespace {

const char* level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warning:
      return "warning";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

bool needs_quotes(const std::string& text) {
  if (text.empty()) return true;
  for (char c : text) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

LogFormat parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  throw StartupError("--log-format must be text or json, not '" + std::string(name) + "'");
}

std::string timestamp_now() {
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  tm utc{};
  gmtime_r(&now.tv_sec, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                now.tv_nsec / 1000000);
  return text;
}

Logger::Logger(std::string program, LogFormat format, LogLevel minimum, std::FILE* out)
    : program_(std::move(program)), format_(format), minimum_(minimum), out_(out) {}

void Logger::log(LogLevel level, std::string_view message, const LogField* begin,
                 const LogField* end) {
  const auto fields = Span<const LogField>(begin, static_cast<std::size_t>(end - begin));
  if (level < minimum_) return;
  std::string line;
  if (format_ == LogFormat::json) {
    nlohmann::ordered_json json;
    json["time"] = timestamp_now();
    json["level"] = level_name(level);
    json["program"] = program_;
    json["msg"] = std::string(message);
    for (const auto& field : fields) {
      std::visit([&](const auto& value) { json[field.key] = value; }, field.value);
    }
    line = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = timestamp_now() + " " + program_ + " " + level_name(level) + ": " + std::string(message);
    for (const auto& field : fields) {
      line += ' ';
      line += field.key;
      line += '=';
      std::visit(
          [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::string>) {
              line += needs_quotes(value)
                          ? nlohmann::json(value).dump(-1, ' ', false,
                                                       nlohmann::json::error_handler_t::replace)
                          : value;
            } else if constexpr (std::is_same_v<T, bool>) {
              line += value ? "true" : "false";
            } else if constexpr (std::is_same_v<T, double>) {
              char number[32];
              std::snprintf(number, sizeof number, "%.3f", value);
              std::string text = number;
              while (text.back() == '0')
                text.pop_back();
              if (text.back() == '.') text.pop_back();
              line += text;
            } else {
              line += std::to_string(value);
            }
          },
          field.value);
    }
  }
  line += '\n';
  std::lock_guard<std::mutex> lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace tte
