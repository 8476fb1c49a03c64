// tte-factory-bench: devices minted per second, with keys and bundles and then
// with labels too, beside `openssl speed ecdsap256` run in the same session
// (key generation and one signature per device are the floor).
//
//   tte-factory-bench [--count N] [--work DIR]
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "support/process.hpp"
#include "tte/platform/command_line.hpp"

namespace tte::bench {
namespace {

using namespace std::chrono_literals;

// `openssl speed` signatures per second on one core.
double openssl_signs_per_second() {
  auto result = test::run({"openssl", "speed", "-seconds", "3", "ecdsap256"}, "", 120s);
  std::istringstream lines(result.out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.find("ecdsa (nistp256)") == std::string::npos) continue;
    std::istringstream fields(line);
    std::vector<std::string> words;
    std::string word;
    while (fields >> word)
      words.push_back(word);
    if (words.size() >= 2) return std::stod(words[words.size() - 2]);
  }
  throw std::runtime_error("cannot read openssl speed's output:\n" + result.out + result.err);
}

nlohmann::json mint(const std::string& binary, const std::string& work, const std::string& name,
                    unsigned count, bool labels) {
  std::string data = work + "/" + name + "-ms";
  auto init = test::run({binary, "init", "--data-dir", data, "--ms-id", "10"});
  if (init.exit_code != 0) throw std::runtime_error("init: " + init.err);
  std::vector<std::string> argv{binary,  "manufacture",     "--data-dir",
                                data,    "--count",         std::to_string(count),
                                "--out", work + "/" + name, "--json"};
  if (!labels) argv.push_back("--no-labels");
  auto result = test::run(argv, "", 3600s);
  if (result.exit_code != 0) throw std::runtime_error("manufacture: " + result.err);
  return nlohmann::json::parse(result.out);
}

}  // namespace

int main(int argc, char** argv) {
  CommandLine cli(
      "tte-factory-bench [--count N] [--work DIR]",
      "Mints devices with tte-mothership manufacture and compares the rate with openssl speed.");
  cli.option("count", "N", "devices per run", "100000")
      .option("work", "DIR", "scratch directory (removed first and after)",
              "/tmp/tte-factory-bench")
      .option("mothership", "PATH", "the tte-mothership binary", TTE_MOTHERSHIP_BIN);
  try {
    if (!cli.parse(std::vector<std::string>(argv + 1, argv + argc))) return 0;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // figures as they come, even into a file
    const unsigned count = static_cast<unsigned>(std::stoul(cli.require("count")));
    const std::string work = cli.require("work");
    std::filesystem::remove_all(work);
    std::filesystem::create_directories(work);
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    std::printf("Factory: %u devices per run, %u cores\n", count, cores);
    double signs = openssl_signs_per_second();
    std::printf(
        "  openssl speed ecdsap256 (baseline)  %8.0f signatures/s on one core, %.0f on %u\n", signs,
        signs * cores, cores);
    for (bool labels : {false, true}) {
      auto result =
          mint(cli.require("mothership"), work, labels ? "labels" : "keys", count, labels);
      double rate = result["per_second"];
      std::printf(
          "  minted %s %8.0f devices/s (%.2fx the baseline's signatures/s on %u cores; %.1f s in "
          "all)\n",
          labels ? "with labels       " : "with keys, bundles", rate, rate / (signs * cores), cores,
          result["seconds"].get<double>());
      // Nothing is deleted until the end: ext4 slows down allocating inodes
      // next to thousands just deleted, which would penalise the second run.
    }
    std::filesystem::remove_all(work);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tte-factory-bench: %s\n", e.what());
    return 1;
  }
}

}  // namespace tte::bench

int main(int argc, char** argv) {
  return tte::bench::main(argc, argv);
}
