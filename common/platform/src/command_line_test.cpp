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
