// Several tte-mothership instances on one PostgreSQL, as an operator runs them
// (docs/operations.md, "Running on PostgreSQL, several instances"): a throwaway server started here
// as an unprivileged user, the real daemons on free ports, curl as the
// installers and psql to look at what the database holds.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/box.hpp"
#include "support/mothership.hpp"
#include "support/postgres.hpp"
#include "support/process.hpp"

namespace tte::test {
namespace {

std::string records_for(std::uint32_t first, std::uint32_t count) {
  std::string records;
  for (std::uint32_t n = first; n < first + count; ++n)
    records += device_record(n);
  return records;
}

// The Dev ID of a "%{http_code} %{url}" line.
std::string devid_in(const std::string& answer) {
  return answer.substr(answer.find("devid=") + 6, 8);
}

class MotherShipPostgresTest : public ::testing::Test {
 protected:
  // `instances` MotherShips on one database; serve_args for each.
  void start_instances(int instances, std::vector<std::string> serve_args = {}) {
    database_ = postgres_.create_database("tte");
    ships_.push_back(std::make_unique<MotherShipProcess>(
        dir_, serve_args, 10, std::vector<std::string>{"--database", database_}));
    for (int i = 1; i < instances; ++i) {
      ships_.push_back(std::make_unique<MotherShipProcess>(
          dir_, *ships_[0], "ms-instance-" + std::to_string(i), serve_args));
    }
  }
  void start_all() {
    for (auto& ship : ships_)
      ship->start();
  }
  void TearDown() override {
    if (!HasFailure()) return;
    for (auto& ship : ships_)
      std::cerr << "--- " << ship->log() << " ---\n" << read_text(ship->log()) << "\n";
  }

  // curl with every instance's host:port resolved, -s and the CA.
  std::vector<std::string> curl_argv() const {
    std::vector<std::string> argv{"curl", "-s", "--cacert", ships_[0]->ca_file()};
    for (const auto& ship : ships_) {
      argv.insert(argv.end(), {"--resolve", ship->host() + ":" +
                                                std::to_string(ship->https_port()) + ":127.0.0.1"});
    }
    return argv;
  }
  // Claims spread over the instances (request i goes to instance i % n), all
  // at once: one "%{http_code} %{url}" line per answer.
  std::vector<std::string> claim_in_parallel(const std::vector<std::string>& queries,
                                             int parallel) const {
    std::vector<std::string> argv = curl_argv();
    argv.insert(argv.end(), {"--parallel", "--parallel-immediate", "--parallel-max",
                             std::to_string(parallel), "-w", "%{http_code} %{url}\\n"});
    for (std::size_t i = 0; i < queries.size(); ++i) {
      const auto& ship = ships_[i % ships_.size()];
      argv.insert(argv.end(),
                  {"-X", "POST", "-o", "/dev/null", ship->url("/.well-known/tte?" + queries[i])});
    }
    return lines_of(run(argv, "", 300s).out);
  }
  std::set<std::string> mapped_in_database() const {
    std::set<std::string> mapped;
    for (const auto& line : lines_of(postgres_.query(
             "tte", "SELECT lpad(to_hex(devid), 8, '0') FROM devices WHERE state >= 1")))
      mapped.insert(line);
    return mapped;
  }
  // Each instance answers /health with 200 again (by itself: no restart).
  void expect_every_instance_healthy_again() const {
    for (const auto& ship : ships_) {
      EXPECT_TRUE(eventually(
          [&] {
            return ship->curl({"-o", "/dev/null", "-w", "%{http_code}", ship->url("/health")})
                       .out == "200";
          },
          30s))
          << ship->log();
    }
  }
  void expect_audit_verifies() const {
    RunResult verify = ships_[0]->cli({"audit", "verify", "--json"});
    ASSERT_EQ(verify.exit_code, 0) << verify.out << verify.err;
    EXPECT_EQ(nlohmann::json::parse(verify.out)["ok"], true);
  }

  TempDir dir_;
  PostgresServer postgres_{dir_};
  std::string database_;
  std::vector<std::unique_ptr<MotherShipProcess>> ships_;
};

// The claim is one conditional UPDATE: of 64 racing claims of one OTP spread
// over three instances, exactly one maps the device, every round.
TEST_F(MotherShipPostgresTest, SixtyFourRacingClaimsOverThreeInstancesHaveOneWinnerEachRound) {
  constexpr int kRounds = 100;
  constexpr int kRacers = 64;
  start_instances(3, {"--max-connections-per-client", "128"});
  ships_[0]->import(records_for(1, kRounds));
  start_all();
  std::map<std::string, int> totals;
  for (int n = 1; n <= kRounds; ++n) {
    std::vector<std::string> queries(kRacers, claim_query(static_cast<std::uint32_t>(n)));
    std::map<std::string, int> codes;
    for (const auto& answer : claim_in_parallel(queries, kRacers))
      codes[answer.substr(0, 3)]++;
    ASSERT_EQ(codes["200"], 1) << "round " << n;
    // The others see it used, or find its checks all in flight (429).
    ASSERT_EQ(codes["409"] + codes["429"], kRacers - 1) << "round " << n;
    for (const auto& [code, count] : codes)
      totals[code] += count;
  }
  EXPECT_EQ(mapped_in_database().size(), static_cast<std::size_t>(kRounds));
  // One audit entry per compared claim, however many instances appended.
  expect_audit_verifies();
  const std::string entries =
      postgres_.query("tte", "SELECT count(*) FROM audit WHERE action = 'claim'");
  EXPECT_EQ(std::stoi(entries), totals["200"] + totals["409"]);
}

// A Dev ID's OTP checks are one bucket in the database, whichever instance
// checks: ten wrong OTPs spread over three instances spend it, on every path.
TEST_F(MotherShipPostgresTest, TheOtpThrottleIsCountedAcrossInstances) {
  start_instances(3, {"--client-failure-limit", "0"});
  ships_[0]->import(records_for(1, 2));
  start_all();
  std::map<std::string, int> codes;
  for (int i = 0; i < 12; ++i) {
    const auto& ship = ships_[static_cast<std::size_t>(i) % ships_.size()];
    // Claims, status queries and the form page all take a check.
    std::vector<std::string> args{"-o", "/dev/null", "-w", "%{http_code}"};
    const std::string wrong = "0000000000" + std::to_string(100000 + i);
    if (i % 3 == 0) {
      args.insert(args.end(),
                  {"-X", "POST", ship->url("/.well-known/tte?" + claim_query(1, wrong))});
    } else if (i % 3 == 1) {
      args.push_back(ship->url("/.well-known/tte/status?otp=" + wrong + "&devid=00000001"));
    } else {
      args.push_back(ship->url("/.well-known/tte?otp=" + wrong + "&devid=00000001"));
    }
    codes[ship->curl(args).out]++;
  }
  EXPECT_EQ(codes["403"], 10);
  EXPECT_EQ(codes["429"], 2);
  EXPECT_EQ(postgres_.query("tte", "SELECT failures FROM throttle WHERE devid = 1"), "10\n");
  // The owner, on any instance, waits too (no slot: 429 before any comparison) ...
  EXPECT_EQ(ships_[1]
                ->curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        ships_[1]->url("/.well-known/tte?" + claim_query(1))})
                .out,
            "429");
  // ... while another Dev ID's bucket is untouched, and a right OTP gives its check back.
  EXPECT_EQ(ships_[2]
                ->curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        ships_[2]->url("/.well-known/tte?" + claim_query(2))})
                .out,
            "200");
  EXPECT_EQ(postgres_.query("tte", "SELECT failures FROM throttle WHERE devid = 2"), "0\n");
  expect_audit_verifies();
}

// A box claim on one instance racing single claims of one of its members on
// both: exactly one request maps anything (the box's rows are locked as read),
// and none fails for it.
TEST_F(MotherShipPostgresTest, ABoxClaimRacingSingleClaimsOnTwoInstancesHasOneWinner) {
  constexpr std::uint32_t kRounds = 20;
  constexpr std::uint32_t kBox = 8;
  constexpr int kSingles = 16;
  start_instances(2, {"--max-connections-per-client", "128"});
  ships_[0]->import(box_records(0x10000, kRounds * kBox));
  start_all();
  int box_wins = 0;
  for (std::uint32_t round = 0; round < kRounds; ++round) {
    const std::uint32_t first = 0x10000 + round * kBox;
    const std::uint32_t member = first + round % kBox;
    std::vector<std::string> argv = curl_argv();
    argv.insert(argv.end(), {"--parallel", "--parallel-immediate", "--parallel-max",
                             std::to_string(kSingles + 1), "-w", "%{http_code} %{url}\\n"});
    for (int i = 0; i <= kSingles; ++i) {
      const auto& ship = ships_[static_cast<std::size_t>(i) % ships_.size()];
      // The box claim first in odd rounds (it reads before the singles map),
      // in the middle of the singles in even ones.
      const int box_at = round % 2 ? 0 : kSingles / 2;
      const std::string target = i == box_at
                                     ? "/.well-known/tte/box?" + box_query(first, kBox)
                                     : "/.well-known/tte?" + claim_query(member, box_otp(member));
      argv.insert(argv.end(), {"-X", "POST", "-o", "/dev/null", ship->url(target)});
    }
    int wins = 0;
    bool box_won = false;
    for (const std::string& line : lines_of(run(argv).out)) {
      EXPECT_NE(line.substr(0, 1), "5") << "round " << round << ": " << line;
      if (line.rfind("200 ", 0) != 0) continue;
      ++wins;
      box_won = box_won || line.find("/box?") != std::string::npos;
    }
    ASSERT_EQ(wins, 1) << "round " << round;
    box_wins += box_won;
    const std::string mapped = postgres_.query(
        "tte", "SELECT count(*) FROM devices WHERE state = 1 AND devid BETWEEN " +
                   std::to_string(first) + " AND " + std::to_string(first + kBox - 1));
    EXPECT_EQ(mapped, box_won ? std::to_string(kBox) + "\n" : "1\n") << "round " << round;
  }
  std::cout << "box claim won " << box_wins << " of " << kRounds << " rounds\n";
  expect_audit_verifies();
}

// A box claim takes its 10,000 members' OTP check slots in a few statements,
// not two round trips each (a wrong key cost an instance seconds of database
// work per request); a range with no Devices stores no buckets at all.
TEST_F(MotherShipPostgresTest, ABoxOfTenThousandTakesItsSlotsAtOnceAndAbsentDevicesGetNoBuckets) {
  constexpr std::uint32_t kFirst = 0x20000, kBox = 10000, kAbsent = 0x900000;
  start_instances(1);
  ships_[0]->import(box_records(kFirst, kBox));
  start_all();
  auto claim = [&](std::uint32_t first, const std::string& key) {
    const auto started = std::chrono::steady_clock::now();
    RunResult answer =
        ships_[0]->curl({"-X", "POST", "-o", "/dev/null", "-w", "%{http_code}",
                         ships_[0]->url("/.well-known/tte/box?" + box_query(first, kBox, key))});
    std::cout << "box of " << kBox << " at " << devid_of(first) << ", key " << key.substr(0, 4)
              << "...: " << answer.out << " in "
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()
              << " s\n";
    return answer.out;
  };
  const std::string wrong(32, 'f');
  EXPECT_EQ(claim(kFirst, wrong), "403");
  EXPECT_EQ(claim(kAbsent, wrong), "403");
  EXPECT_EQ(postgres_.query(
                "tte", "SELECT count(*) FROM throttle WHERE devid >= " + std::to_string(kAbsent)),
            "0\n");
  // The wrong key kept one slot spent, the first member's; the others came back.
  EXPECT_EQ(postgres_.query("tte", "SELECT count(*) FROM throttle WHERE failures > 0"), "1\n");
  EXPECT_EQ(claim(kFirst, kBoxKeyHex), "200");
  EXPECT_EQ(postgres_.query("tte", "SELECT count(*) FROM devices WHERE state = 1"), "10000\n");
  expect_audit_verifies();
}

// kill -9 of one instance in a burst from all three: every claim answered 200
// is in the database, the other two serve on, and the chain holds.
TEST_F(MotherShipPostgresTest, KillNineOfOneInstanceInABurstLosesNoAnsweredClaim) {
  constexpr std::uint32_t kPerInstance = 600;
  start_instances(3);
  ships_[0]->import(records_for(1, 3 * kPerInstance));
  start_all();
  // One installer program per instance, 8 claims at a time each, its own Devices.
  std::vector<std::unique_ptr<Process>> installers;
  for (std::size_t i = 0; i < ships_.size(); ++i) {
    std::vector<std::string> argv = curl_argv();
    argv.insert(argv.end(), {"--parallel", "--parallel-max", "8", "-w", "%{http_code} %{url}\\n"});
    for (std::uint32_t k = 0; k < kPerInstance; ++k) {
      const std::uint32_t n = 1 + static_cast<std::uint32_t>(i) * kPerInstance + k;
      argv.insert(argv.end(), {"-X", "POST", "-o", "/dev/null",
                               ships_[i]->url("/.well-known/tte?" + claim_query(n))});
    }
    installers.push_back(
        std::make_unique<Process>(argv, dir_.file("installer-" + std::to_string(i) + ".log")));
  }
  std::vector<std::vector<std::string>> answers(ships_.size());
  while (answers[0].size() < 150)
    answers[0].push_back(installers[0]->read_line(60s));
  ships_[0]->kill9();
  for (std::size_t i = 0; i < installers.size(); ++i) {
    while (true) {
      try {
        answers[i].push_back(installers[i]->read_line(60s));
      } catch (const std::exception&) {
        break;  // that installer is done
      }
    }
    installers[i]->wait(60s);
  }
  const std::set<std::string> stored = mapped_in_database();
  std::size_t confirmed = 0;
  for (const auto& per_instance : answers) {
    for (const auto& answer : per_instance) {
      if (answer.rfind("200 ", 0) != 0) continue;
      ++confirmed;
      EXPECT_TRUE(stored.count(devid_in(answer))) << answer << ": 200 but not stored";
    }
  }
  EXPECT_LT(answers[0].size() - std::count_if(answers[0].begin(), answers[0].end(),
                                              [](const std::string& a) { return a[0] == '0'; }),
            kPerInstance)
      << "the instance died too late to test anything";
  // The two others answered every one of their installers' claims.
  for (std::size_t i = 1; i < answers.size(); ++i) {
    ASSERT_EQ(answers[i].size(), kPerInstance);
    for (const auto& answer : answers[i])
      EXPECT_EQ(answer.substr(0, 4), "200 ") << answer;
  }
  EXPECT_GE(confirmed, 150u + 2 * kPerInstance);
  expect_audit_verifies();
}

// PostgreSQL stops under load: the instances answer 503 (with Retry-After) and
// never 200 for a claim they did not store; when it is back they serve again by
// themselves, without a restart.
TEST_F(MotherShipPostgresTest, PostgresStoppedUnderLoadGives503sThenServiceResumes) {
  constexpr std::uint32_t kDevices = 3000;
  start_instances(2, {"--client-failure-limit", "0"});
  ships_[0]->import(records_for(1, kDevices));
  start_all();
  auto installer_argv = [&](const std::vector<std::uint32_t>& devices) {
    std::vector<std::string> argv = curl_argv();
    argv.insert(argv.end(), {"--parallel", "--parallel-max", "8", "-w", "%{http_code} %{url}\\n"});
    for (std::uint32_t n : devices) {
      const auto& ship = ships_[n % ships_.size()];
      argv.insert(argv.end(), {"-X", "POST", "-o", "/dev/null",
                               ship->url("/.well-known/tte?" + claim_query(n))});
    }
    return argv;
  };
  std::vector<std::uint32_t> all(kDevices);
  for (std::uint32_t n = 1; n <= kDevices; ++n)
    all[n - 1] = n;
  Process installer(installer_argv(all), dir_.file("installer.log"));
  std::vector<std::string> answers;
  auto next = [&] { answers.push_back(installer.read_line(60s)); };
  auto count = [&](const char* code) {
    return std::count_if(answers.begin(), answers.end(),
                         [&](const std::string& a) { return a.rfind(code, 0) == 0; });
  };
  while (answers.size() < 300)
    next();
  postgres_.pause();
  while (count("503") < 100)
    next();
  // Both instances say so on /health (a balancer drains them), with Retry-After on claims.
  for (const auto& ship : ships_) {
    EXPECT_EQ(ship->curl({"-o", "/dev/null", "-w", "%{http_code}", ship->url("/health")}).out,
              "503");
  }
  RunResult refused =
      ships_[0]->curl({"-i", "-X", "POST", ships_[0]->url("/.well-known/tte?" + claim_query(1))});
  EXPECT_NE(refused.out.find("HTTP/1.1 503"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("Retry-After: "), std::string::npos) << refused.out;
  postgres_.resume();
  while (true) {
    try {
      next();
    } catch (const std::exception&) {
      break;
    }
  }
  installer.wait(60s);
  ASSERT_EQ(answers.size(), kDevices);
  // No restart: each instance is back once it has reconnected (within a second).
  expect_every_instance_healthy_again();
  const std::set<std::string> stored = mapped_in_database();
  std::vector<std::uint32_t> unstored;
  for (const auto& answer : answers) {
    if (answer.rfind("200 ", 0) == 0) {
      EXPECT_TRUE(stored.count(devid_in(answer))) << answer << ": 200 but not stored";
      continue;
    }
    EXPECT_EQ(answer.substr(0, 4), "503 ") << answer;
    // A 503 was not stored, or (a commit whose answer was lost) stored and 503 all the same.
    if (!stored.count(devid_in(answer)))
      unstored.push_back(static_cast<std::uint32_t>(std::stoul(devid_in(answer), nullptr, 16)));
  }
  ASSERT_GE(unstored.size(), 100u);
  // The installers try again: every one of those claims goes through now.
  Process again(installer_argv(unstored), dir_.file("installer-again.log"));
  std::size_t answered = 0;
  while (answered < unstored.size()) {
    const std::string answer = again.read_line(60s);
    EXPECT_EQ(answer.substr(0, 4), "200 ") << answer;
    ++answered;
  }
  again.wait(60s);
  EXPECT_EQ(mapped_in_database().size(), static_cast<std::size_t>(kDevices));
  expect_audit_verifies();
}

// A hung database host (every PostgreSQL process stopped: no error, no answer)
// costs a request at most the deadline, and never the whole instance: once a
// call has given up, the instances answer 503 at once, what needs no database
// as usual, and they come back by themselves when the host does.
TEST_F(MotherShipPostgresTest, AHungPostgresCostsARequestAtMostTheDeadlineThenServiceResumes) {
  // The server cancels a statement after 1 s; the client gives up 2 s later.
  constexpr double kGivesUpAfter = 3.0;
  start_instances(2, {"--database-timeout", "1", "--client-failure-limit", "0"});
  ships_[0]->import(records_for(1, 40));
  start_all();
  ASSERT_EQ(ships_[1]
                ->curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                        ships_[1]->url("/.well-known/tte?" + claim_query(1))})
                .out,
            "200");
  // Every request at once, to both instances: "code seconds url" per answer.
  // (Two curls: -X POST would apply to every URL of one.)
  std::uint32_t next_device = 2;
  auto round = [&] {
    std::vector<std::string> gets = curl_argv(), posts = curl_argv();
    for (auto* argv : {&gets, &posts}) {
      argv->insert(argv->end(), {"--parallel", "--parallel-immediate", "--parallel-max", "32",
                                 "--max-time", "60", "-w", "%{http_code} %{time_total} %{url}\\n"});
    }
    posts.insert(posts.end(), {"-X", "POST"});
    for (const auto& ship : ships_) {
      for (int i = 0; i < 3; ++i) {
        const std::string query = claim_query(next_device++);
        gets.insert(gets.end(), {"-o", "/dev/null", ship->url("/health"), "-o", "/dev/null",
                                 ship->url("/nothing-here"), "-o", "/dev/null",
                                 ship->url("/.well-known/tte?" + query)});
        posts.insert(posts.end(), {"-o", "/dev/null", ship->url("/.well-known/tte?" + query)});
      }
    }
    auto posted = std::async(std::launch::async, [&] { return run(posts, "", 120s); });
    std::vector<std::string> answers = lines_of(run(gets, "", 120s).out);
    for (auto& line : lines_of(posted.get().out))
      answers.push_back(line);
    return answers;
  };
  auto check = [&](const std::vector<std::string>& answers, double at_most) {
    ASSERT_EQ(answers.size(), 24u);
    double slowest = 0, slowest_404 = 0;
    for (const auto& answer : answers) {
      std::istringstream in(answer);
      std::string code, url;
      double seconds = 0;
      in >> code >> seconds >> url;
      slowest = std::max(slowest, seconds);
      if (code == "404") slowest_404 = std::max(slowest_404, seconds);
      EXPECT_LT(seconds, at_most) << answer;
      EXPECT_EQ(code, url.find("/nothing-here") != std::string::npos ? "404" : "503") << answer;
    }
    std::cout << "24 requests while PostgreSQL is frozen: slowest " << slowest << " s, slowest 404 "
              << slowest_404 << " s\n";
  };
  postgres_.freeze();
  // The first requests wait for the deadline (the slack: a loaded machine).
  check(round(), kGivesUpAfter + 4);
  // Later ones do not queue behind each other: at most one call at a time
  // tries the database while it is stalled.
  check(round(), kGivesUpAfter + 4);
  postgres_.thaw();
  expect_every_instance_healthy_again();
  for (const auto& ship : ships_) {
    EXPECT_EQ(ship->curl({"-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                          ship->url("/.well-known/tte?" + claim_query(next_device++))})
                  .out,
              "200");
  }
  EXPECT_EQ(mapped_in_database().size(), 3u);
  expect_audit_verifies();
}

// Every instance must have the keys the database was made with.
// Every instance must have the keys the database was made with, and so must
// every command that writes to it.
// A database that takes no writes (a standby after a failover gone wrong, a
// database made read-only) reads fine but can store no claim: /health says so,
// so that a monitor or the balancer takes the instance out (a black-box finding:
// it answered 200 while every claim got 503).
TEST_F(MotherShipPostgresTest, AnInstanceOnADatabaseThatTakesNoWritesIsNotHealthy) {
  start_instances(1);
  ships_[0]->import(records_for(1, 1));
  postgres_.query("tte", "ALTER DATABASE tte SET default_transaction_read_only = on");
  start_all();
  RunResult health = ships_[0]->curl({"-w", "\n%{http_code}", ships_[0]->url("/health")});
  EXPECT_NE(health.out.find("takes no writes"), std::string::npos) << health.out;
  EXPECT_EQ(health.out.substr(health.out.size() - 3), "503") << health.out;
  RunResult claim = ships_[0]->curl({"-X", "POST", "-o", "/dev/null", "-w", "%{http_code}",
                                     ships_[0]->url("/.well-known/tte?" + claim_query(1))});
  EXPECT_EQ(claim.out, "503");
  EXPECT_EQ(postgres_.query("tte", "SELECT count(*) FROM devices WHERE state = 1"), "0\n");
}

// The tests connect as the server's superuser, whom no grant binds: an
// instance says so once as it starts (operators are meant to use the
// application role, docs/operations.md).
TEST_F(MotherShipPostgresTest, AnInstanceConnectedAsTheTablesOwnerWarns) {
  start_instances(1);
  start_all();
  EXPECT_NE(read_text(ships_[0]->log()).find("connects as the owner of the MotherShip's tables"),
            std::string::npos);
}

TEST_F(MotherShipPostgresTest, AnInstanceWithAnotherKeyRefusesToStartOrImport) {
  start_instances(2);
  ships_[0]->start();
  for (const std::string key : {"otp.key", "psk.key"}) {
    const std::string file = ships_[1]->data_dir() + "/" + key;
    const std::string kept = read_text(file);
    write_text(file, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n");
    RunResult serve =
        run({TTE_MOTHERSHIP_BIN, "serve", "--data-dir", ships_[1]->data_dir(), "--https",
             "127.0.0.1:0", "--coaps", "127.0.0.1:0", "--admin", "127.0.0.1:0"});
    EXPECT_EQ(serve.exit_code, 1) << key;
    EXPECT_NE(serve.err.find(key + " is not the key"), std::string::npos) << serve.err;
    write_text(dir_.file("records.jsonl"), records_for(1, 2));
    RunResult import = ships_[1]->cli({"import", dir_.file("records.jsonl")});
    EXPECT_EQ(import.exit_code, 1) << key;
    EXPECT_NE(import.err.find(key + " is not the key"), std::string::npos) << import.err;
    RunResult revoke = ships_[1]->cli({"device", "revoke", "00000001"});
    EXPECT_EQ(revoke.exit_code, 1) << key;
    EXPECT_NE(revoke.err.find(key + " is not the key"), std::string::npos) << revoke.err;
    write_text(file, kept);
  }
  EXPECT_EQ(postgres_.query("tte", "SELECT count(*) FROM devices"), "0\n");
  // With the right keys, the same import goes through.
  RunResult import = ships_[1]->cli({"import", dir_.file("records.jsonl")});
  EXPECT_EQ(import.exit_code, 0) << import.err;
  // init keeps passwords out of mothership.conf (and out of its messages).
  RunResult with_password =
      run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir_.file("pw"), "--ms-id", "10", "--database",
           "postgresql://tte:s3cret@127.0.0.1/tte"});
  EXPECT_EQ(with_password.exit_code, 2);
  EXPECT_NE(with_password.err.find(".pgpass"), std::string::npos) << with_password.err;
  EXPECT_EQ(with_password.err.find("s3cret"), std::string::npos) << with_password.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("pw")));
  // And init refuses a database that already holds a MotherShip.
  RunResult again = run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir_.file("again"), "--ms-id",
                         "10", "--database", database_});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already holds a MotherShip"), std::string::npos) << again.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("again")));
  // Nor one that holds another program's tables.
  const std::string other = postgres_.create_database("other");
  postgres_.query("other", "CREATE TABLE users (id integer)");
  RunResult taken = run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir_.file("other"), "--ms-id",
                         "10", "--database", other});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_NE(taken.err.find("is not empty"), std::string::npos) << taken.err;
  // In a directory that was there already, only what init wrote is removed.
  std::filesystem::create_directory(dir_.file("home"));
  write_text(dir_.file("home") + "/.profile", "# the operator's\n");
  RunResult in_home = run({TTE_MOTHERSHIP_BIN, "init", "--data-dir", dir_.file("home"), "--ms-id",
                           "10", "--database", other});
  EXPECT_EQ(in_home.exit_code, 1);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.file("home")))
    left.push_back(entry.path().filename().string());
  EXPECT_EQ(left, std::vector<std::string>{".profile"});
  EXPECT_EQ(postgres_.query("other", "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"),
            "1\n");
}

}  // namespace
}  // namespace tte::test
