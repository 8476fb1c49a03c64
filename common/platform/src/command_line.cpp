#include "tte/platform/command_line.hpp"

#include <algorithm>
#include <charconv>
#include <iostream>
#include <sstream>

#include "tte/platform/files.hpp"

namespace tte {
namespace {

std::string trim(const std::string& text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  auto end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

CommandLine::CommandLine(std::string usage, std::string description)
    : usage_(std::move(usage)), description_(std::move(description)) {
  flag("help", "show this help and exit");
}

CommandLine& CommandLine::option(const std::string& name, const std::string& value_name,
                                 const std::string& help,
                                 std::optional<std::string> default_value) {
  specs_.push_back(Spec{name, value_name, help, std::move(default_value)});
  return *this;
}

CommandLine& CommandLine::flag(const std::string& name, const std::string& help) {
  specs_.push_back(Spec{name, "", help, std::nullopt});
  return *this;
}

CommandLine& CommandLine::positional(const std::string& name, const std::string& help,
                                     bool required) {
  positionals_.push_back(Positional{name, help, required});
  return *this;
}

CommandLine& CommandLine::config_file() {
  config_file_ = true;
  return option("config", "FILE",
                "read options from FILE (\"name = value\" lines; the command line wins)");
}

CommandLine& CommandLine::epilog(const std::string& text) {
  epilog_ = text;
  return *this;
}

const CommandLine::Spec* CommandLine::find(const std::string& name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

void CommandLine::set(const Spec& spec, const std::string& value, bool from_config) {
  // The command line wins over configuration files, and the first file read wins over later ones.
  if (from_config && values_.count(spec.name)) return;
  if (!from_config && from_command_line_[spec.name] && !spec.value_name.empty()) {
    throw UsageError("--" + spec.name + " given twice");
  }
  values_[spec.name] = value;
  if (!from_config) from_command_line_[spec.name] = true;
}

void CommandLine::load_config(const std::string& path, const std::set<std::string>& others) {
  std::istringstream lines(read_file(path));
  std::string line;
  int number = 0;
  while (std::getline(lines, line)) {
    ++number;
    auto hash = line.find('#');
    if (hash != std::string::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    auto equals = line.find('=');
    std::string name = trim(line.substr(0, equals));
    std::string value = equals == std::string::npos ? "true" : trim(line.substr(equals + 1));
    const Spec* spec = find(name);
    std::string where = path + ":" + std::to_string(number);
    if (spec == nullptr && others.count(name)) continue;  // another command's option
    if (spec == nullptr || name == "help" || name == "config") {
      throw UsageError(where + ": unknown option '" + name + "'");
    }
    if (spec->value_name.empty()) {
      if (value != "true" && value != "false") {
        throw UsageError(where + ": " + name + " takes true or false");
      }
      if (value == "false") continue;
    }
    set(*spec, value, /*from_config=*/true);
  }
}

bool CommandLine::parse(const std::vector<std::string>& args) {
  std::vector<std::string> positional_values;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional_values.insert(positional_values.end(), args.begin() + static_cast<long>(i) + 1,
                               args.end());
      break;
    }
    if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
      std::string name = arg.substr(2);
      std::optional<std::string> inline_value;
      auto equals = name.find('=');
      if (equals != std::string::npos) {
        inline_value = name.substr(equals + 1);
        name = name.substr(0, equals);
      }
      const Spec* spec = find(name);
      if (spec == nullptr) throw UsageError("unknown option --" + name + " (see --help)");
      if (spec->value_name.empty()) {
        if (inline_value) throw UsageError("--" + name + " takes no value");
        set(*spec, "true", false);
      } else if (inline_value) {
        set(*spec, *inline_value, false);
      } else {
        if (i + 1 >= args.size())
          throw UsageError("--" + name + " needs a value (" + spec->value_name + ")");
        set(*spec, args[++i], false);
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      if (arg == "-h") {
        set(*find("help"), "true", false);
        continue;
      }
      throw UsageError("unknown option " + arg + " (options start with --; see --help)");
    }
    positional_values.push_back(arg);
  }
  if (has("help")) {
    std::cout << help();
    return false;
  }
  if (config_file_ && values_.count("config")) load_config(values_["config"]);
  if (positional_values.size() > positionals_.size()) {
    throw UsageError("unexpected argument '" + positional_values[positionals_.size()] +
                     "' (see --help)");
  }
  for (std::size_t i = 0; i < positionals_.size(); ++i) {
    if (i < positional_values.size()) {
      values_[positionals_[i].name] = positional_values[i];
    } else if (positionals_[i].required) {
      throw UsageError("missing " + positionals_[i].name + " (see --help)");
    }
  }
  return true;
}

void CommandLine::read_config_file(const std::string& path, const std::set<std::string>& others) {
  load_config(path, others);
}

bool CommandLine::has(const std::string& name) const {
  return get(name).has_value();
}

bool CommandLine::given(const std::string& name) const {
  return values_.count(name) > 0;
}

std::optional<std::string> CommandLine::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  const Spec* spec = find(name);
  if (spec && spec->default_value) return spec->default_value;
  return std::nullopt;
}

std::string CommandLine::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

std::string CommandLine::require(const std::string& name) const {
  auto value = get(name);
  if (!value || value->empty()) throw UsageError("--" + name + " is required (see --help)");
  return *value;
}

std::optional<std::int64_t> CommandLine::get_int(const std::string& name, std::int64_t minimum,
                                                 std::int64_t maximum) const {
  auto text = get(name);
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  const char* begin = text->data();
  const char* end = begin + text->size();
  auto [rest, error] = std::from_chars(begin, end, value);
  if (text->empty() || error != std::errc() || rest != end || value < minimum || value > maximum) {
    throw UsageError("--" + name + " must be a whole number from " + std::to_string(minimum) +
                     " to " + std::to_string(maximum) + ", not '" + *text + "'");
  }
  return value;
}

std::int64_t CommandLine::require_int(const std::string& name, std::int64_t minimum,
                                      std::int64_t maximum) const {
  require(name);
  return *get_int(name, minimum, maximum);
}

std::string CommandLine::help() const {
  std::ostringstream out;
  out << "Usage: " << usage_ << "\n\n" << description_ << "\n";
  if (!positionals_.empty()) {
    out << "\nArguments:\n";
    for (const auto& p : positionals_) {
      out << "  " << p.name << std::string(p.name.size() < 26 ? 26 - p.name.size() : 1, ' ')
          << p.help << (p.required ? "" : " (optional)") << "\n";
    }
  }
  out << "\nOptions:\n";
  for (const auto& spec : specs_) {
    std::string left = "--" + spec.name + (spec.value_name.empty() ? "" : " " + spec.value_name);
    out << "  " << left << std::string(left.size() < 26 ? 26 - left.size() : 1, ' ') << spec.help;
    if (spec.default_value) out << " (default: " << *spec.default_value << ")";
    out << "\n";
  }
  if (!epilog_.empty()) out << "\n" << epilog_ << "\n";
  return out.str();
}

int run_commands(const CommandSet& set, int argc, char** argv) {
  const std::string first = argc >= 2 ? argv[1] : "";
  if (argc < 2 || first == "--help" || first == "-h" || first == "help") {
    std::cout << set.usage;
    return argc < 2 ? 2 : 0;
  }
  auto report = [&](int status, const std::string& message) {
    if (set.report) return set.report(first, status, message);
    std::cerr << set.program << " " << first << ": " << message << "\n";
    return status;
  };
  try {
    std::vector<std::string> args(argv + 2, argv + argc);
    for (const Subcommand& command : set.commands) {
      if (command.name == first) return command.run(args);
    }
  } catch (const CommandFailure& failure) {
    return report(failure.status, failure.message);
  } catch (const UsageError& e) {
    const std::string message = e.what();
    return report(2, message + (message.find("(see ") == std::string::npos ? " (see --help)" : ""));
  } catch (const std::exception& e) {
    return report(1, e.what());
  }
  if (set.report) {
    return set.report(first, 2, "unknown command '" + first + "' (see " + set.program + " --help)");
  }
  std::cerr << set.program << ": unknown command '" << first << "'\n\n" << set.usage;
  return 2;
}

}  // namespace tte
