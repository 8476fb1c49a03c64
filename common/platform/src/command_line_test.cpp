#include "tte/platform/command_line.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace tte {
namespace {

CommandLine make() {
  CommandLine cli("prog serve [options] FILE", "Serves.");
  cli.option("data-dir", "DIR", "where the data lives")
      .option("https", "ADDR:PORT", "HTTPS listener", "0.0.0.0:443")
      .flag("json", "JSON output")
      .positional("FILE", "a file", /*required=*/false)
      .config_file();
  return cli;
}

TEST(CommandLine, ParsesOptionsFlagsAndPositionals) {
  auto cli = make();
  ASSERT_TRUE(cli.parse({"--data-dir", "/d", "--json", "f.txt", "--https=1.2.3.4:5"}));
  EXPECT_EQ(cli.get("data-dir"), "/d");
  EXPECT_TRUE(cli.has("json"));
  EXPECT_EQ(cli.get("FILE"), "f.txt");
  EXPECT_EQ(cli.get("https"), "1.2.3.4:5");
}

TEST(CommandLine, DefaultsAndMissingValues) {
  auto cli = make();
  ASSERT_TRUE(cli.parse({}));
  EXPECT_EQ(cli.get("https"), "0.0.0.0:443");
  EXPECT_FALSE(cli.given("https"));
  EXPECT_FALSE(cli.has("json"));
  EXPECT_FALSE(cli.get("data-dir").has_value());
  EXPECT_THROW(cli.require("data-dir"), UsageError);
}

TEST(CommandLine, RefusesMistakes) {
  EXPECT_THROW(make().parse({"--nope"}), UsageError);
  EXPECT_THROW(make().parse({"--data-dir"}), UsageError);
  EXPECT_THROW(make().parse({"--json=yes"}), UsageError);
  EXPECT_THROW(make().parse({"-x"}), UsageError);
  EXPECT_THROW(make().parse({"a", "b"}), UsageError);
  EXPECT_THROW(make().parse({"--data-dir", "a", "--data-dir", "b"}), UsageError);
}

TEST(CommandLine, WholeNumbersAreCheckedAgainstTheirRange) {
  CommandLine cli("prog [options]", "Counts.");
  cli.option("count", "N", "how many").option("port", "PORT", "a port", "5684");
  ASSERT_TRUE(cli.parse({"--count", "12"}));
  EXPECT_EQ(cli.require_int("count", 1, 100), 12);
  EXPECT_EQ(cli.get_int("port", 0, 65535), 5684);
  EXPECT_EQ(cli.get_int("nothing", 0, 1), std::nullopt);
  EXPECT_THROW(cli.require_int("count", 13, 100), UsageError);
  EXPECT_THROW(cli.require_int("count", 0, 11), UsageError);
  for (const char* bad : {"12x", "x", " 1", "1.5", "-", "99999999999999999999"}) {
    CommandLine other("prog [options]", "Counts.");
    other.option("count", "N", "how many");
    ASSERT_TRUE(other.parse({"--count", bad}));
    try {
      other.require_int("count", 0, 1000);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("--count must be a whole number from 0 to 1000"),
                std::string::npos)
          << e.what();
    }
  }
  CommandLine none("prog [options]", "Counts.");
  none.option("count", "N", "how many");
  ASSERT_TRUE(none.parse({}));
  EXPECT_THROW(none.require_int("count", 0, 1), UsageError);
}

int run(const CommandSet& set, std::vector<std::string> words) {
  std::vector<char*> argv;
  for (auto& word : words)
    argv.push_back(word.data());
  return run_commands(set, static_cast<int>(argv.size()), argv.data());
}

TEST(CommandLine, RunCommandsMapsEachEndingToItsStatus) {
  std::vector<std::pair<int, std::string>> reported;
  CommandSet set{
      "prog",
      "Usage: prog COMMAND\n",
      {{"ok", [](const std::vector<std::string>& args) { return int(args.size()); }},
       {"usage", [](const auto&) -> int { throw UsageError("--x is wrong"); }},
       {"hinted", [](const auto&) -> int { throw UsageError("no site (see site list)"); }},
       {"fails",
        [](const auto&) -> int {
          throw CommandFailure{4, "not connected"};
        }},
       {"throws", [](const auto&) -> int { throw std::runtime_error("disk full"); }}},
      [&](const std::string&, int status, const std::string& message) {
        reported.emplace_back(status, message);
        return status;
      }};
  EXPECT_EQ(run(set, {"prog", "ok", "a", "b"}), 2);
  EXPECT_EQ(run(set, {"prog"}), 2);
  EXPECT_EQ(run(set, {"prog", "--help"}), 0);
  EXPECT_EQ(run(set, {"prog", "usage"}), 2);
  EXPECT_EQ(run(set, {"prog", "hinted"}), 2);
  EXPECT_EQ(run(set, {"prog", "fails"}), 4);
  EXPECT_EQ(run(set, {"prog", "throws"}), 1);
  EXPECT_EQ(run(set, {"prog", "nope"}), 2);
  ASSERT_EQ(reported.size(), 5u);
  EXPECT_EQ(reported[0].second, "--x is wrong (see --help)");
  EXPECT_EQ(reported[1].second, "no site (see site list)");
  EXPECT_EQ(reported[2], std::make_pair(4, std::string("not connected")));
  EXPECT_EQ(reported[3], std::make_pair(1, std::string("disk full")));
  EXPECT_EQ(reported[4].second, "unknown command 'nope' (see prog --help)");
}

TEST(CommandLine, HelpListsEveryOption) {
  auto cli = make();
  std::string help = cli.help();
  for (const char* text : {"--data-dir DIR", "--https ADDR:PORT", "(default: 0.0.0.0:443)",
                           "--json", "--config FILE", "--help", "FILE"}) {
    EXPECT_NE(help.find(text), std::string::npos) << text;
  }
}

TEST(CommandLine, ConfigFilesFillWhatTheCommandLineLeaves) {
  auto dir = std::filesystem::temp_directory_path() / ("tte-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "a.conf") << "# comment\ndata-dir = /from-config\nhttps = 9.9.9.9:1\njson\n";
  std::ofstream(dir / "b.conf") << "https = 8.8.8.8:2\n";
  auto cli = make();
  ASSERT_TRUE(cli.parse({"--config", (dir / "a.conf").string(), "--https", "1.1.1.1:1"}));
  cli.read_config_file((dir / "b.conf").string());
  EXPECT_EQ(cli.get("data-dir"), "/from-config");
  EXPECT_EQ(cli.get("https"), "1.1.1.1:1");
  EXPECT_TRUE(cli.has("json"));
  std::ofstream(dir / "bad.conf") << "unknown = 1\n";
  auto bad = make();
  EXPECT_THROW(bad.parse({"--config", (dir / "bad.conf").string()}), UsageError);
  // A file shared by several commands: another command's options are skipped, typos are not.
  std::ofstream(dir / "shared.conf") << "poll-min = 2\nhttps = 7.7.7.7:3\n";
  auto sharing = make();
  ASSERT_TRUE(sharing.parse({}));
  sharing.read_config_file((dir / "shared.conf").string(), {"poll-min"});
  EXPECT_EQ(sharing.get("https"), "7.7.7.7:3");
  EXPECT_FALSE(sharing.has("poll-min"));
  auto strict = make();
  ASSERT_TRUE(strict.parse({}));
  EXPECT_THROW(strict.read_config_file((dir / "shared.conf").string(), {"poll-max"}), UsageError);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tte
