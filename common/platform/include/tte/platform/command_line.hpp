// Command-line parsing shared by every TTE program, so that flags look and
// behave the same everywhere: --name VALUE or --name=VALUE, boolean flags,
// positional arguments, --help, and an optional --config FILE holding the same
// options as "name = value" lines (the command line wins).
#ifndef TTE_PLATFORM_COMMAND_LINE_HPP
#define TTE_PLATFORM_COMMAND_LINE_HPP

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tte/platform/startup_error.hpp"

namespace tte {

// A mistake in how a program was called; programs exit with status 2.
class UsageError : public StartupError {
 public:
  explicit UsageError(const std::string& message) : StartupError(message) {}
};

// Ends a command with a given exit status and message (the programs' own
// statuses, e.g. 3 and 4, beside 1 for failures and 2 for usage errors).
struct CommandFailure {
  int status;
  std::string message;
};

class CommandLine {
 public:
  // usage: "tte-mothership serve [options]"; description: one paragraph.
  CommandLine(std::string usage, std::string description);

  // --name VALUE, optionally with a default shown in --help.
  CommandLine& option(const std::string& name, const std::string& value_name,
                      const std::string& help,
                      std::optional<std::string> default_value = std::nullopt);
  // --name (a boolean).
  CommandLine& flag(const std::string& name, const std::string& help);
  // A positional argument, in declaration order.
  CommandLine& positional(const std::string& name, const std::string& help, bool required = true);
  // Accepts --config FILE whose lines set options ("name = value", '#' comments).
  CommandLine& config_file();
  // Free text appended to --help (exit codes, examples).
  CommandLine& epilog(const std::string& text);

  // Parses args; returns false (after printing help to stdout) when --help was given.
  // Throws UsageError on unknown options, missing values or missing positionals.
  bool parse(const std::vector<std::string>& args);

  // Reads more options from a configuration file after parse(): values already
  // set (on the command line or by an earlier file) are kept. Throws UsageError.
  // Options of other commands sharing the file (`others`) are skipped; any
  // other unknown name is an error.
  void read_config_file(const std::string& path, const std::set<std::string>& others = {});

  bool has(const std::string& name) const;    // flag given, or option set or defaulted
  bool given(const std::string& name) const;  // set on the command line or in a file
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  // The value of an option that must be present. Throws UsageError.
  std::string require(const std::string& name) const;
  // A whole number in [minimum, maximum]; anything else (or nothing) is a
  // UsageError naming the option and its range.
  std::int64_t require_int(const std::string& name, std::int64_t minimum,
                           std::int64_t maximum) const;
  // The same for an option that may be absent (nullopt).
  std::optional<std::int64_t> get_int(const std::string& name, std::int64_t minimum,
                                      std::int64_t maximum) const;
  std::string help() const;

 private:
  struct Spec {
    std::string name;
    std::string value_name;  // empty for flags
    std::string help;
    std::optional<std::string> default_value;
  };
  struct Positional {
    std::string name;
    std::string help;
    bool required;
  };
  const Spec* find(const std::string& name) const;
  void set(const Spec& spec, const std::string& value, bool from_config);
  void load_config(const std::string& path, const std::set<std::string>& others = {});

  std::string usage_;
  std::string description_;
  std::string epilog_;
  std::vector<Spec> specs_;
  std::vector<Positional> positionals_;
  bool config_file_ = false;
  std::map<std::string, std::string> values_;
  std::map<std::string, bool> from_command_line_;
};

// A program's subcommands ("tte-mothership serve ...") with one policy for
// what ends them: no command or --help prints the usage (exit 2 or 0); an
// unknown command, a UsageError (with "(see --help)" added when the message
// names no other help) exit 2; a CommandFailure exits with its status; any
// other exception, 1. Each failure is one line on stderr:
// "PROGRAM COMMAND: message", or what `report` prints instead.
struct Subcommand {
  std::string name;
  std::function<int(const std::vector<std::string>& args)> run;
};
struct CommandSet {
  std::string program;  // "tte-controller"
  std::string usage;    // the program's --help
  std::vector<Subcommand> commands;
  // Optional: prints a failure (e.g. also as JSON) and returns the exit status.
  std::function<int(const std::string& command, int status, const std::string& message)> report;
};
int run_commands(const CommandSet& set, int argc, char** argv);

}  // namespace tte

#endif  // TTE_PLATFORM_COMMAND_LINE_HPP
