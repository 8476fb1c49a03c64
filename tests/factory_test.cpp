// `tte-mothership manufacture` as a production line runs it, checked with
// independent tools: zbarimg reads the labels, pdftoppm renders the sheets,
// openssl fingerprints the certificates and derives box OTPs, coap-client-openssl
// plays a device.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "support/mothership.hpp"
#include "support/process.hpp"
#include "tte/enrollment_url.hpp"
#include "tte/manual_code.hpp"

namespace tte::test {
namespace {

nlohmann::json json_of(const std::string& text) {
  return nlohmann::json::parse(text);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

// The SPKI fingerprint of a PEM certificate, computed by the openssl command.
std::string openssl_fingerprint(const std::string& certificate_file) {
  RunResult result = run({"sh", "-c",
                          "openssl x509 -in '" + certificate_file +
                              "' -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum"});
  return result.out.substr(0, 64);
}

class FactoryTest : public ::testing::Test {
 protected:
  FactoryTest() : ms_(dir_) {}
  void TearDown() override {
    if (HasFailure()) std::cerr << "--- mothership log ---\n" << read_text(ms_.log()) << "\n";
  }
  RunResult manufacture(std::vector<std::string> args, bool local = true) {
    std::vector<std::string> argv{TTE_MOTHERSHIP_BIN, "manufacture", "--json"};
    if (local) argv.insert(argv.end(), {"--data-dir", ms_.data_dir()});
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, "", 600s);
  }
  TempDir dir_;
  MotherShipProcess ms_;
};

TEST_F(FactoryTest, EveryLabelDecodesToItsDevicesEnrollmentUrl) {
  RunResult made =
      manufacture({"--count", "25", "--out", dir_.file("batch"), "--urn", "ops:32473-Light"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(json_of(made.out)["count"], 25);
  auto manifest = lines_of(read_text(dir_.file("batch/manifest.csv")));
  ASSERT_EQ(manifest.size(), 26u);
  EXPECT_EQ(manifest[0], "devid,urn,fingerprint,bundle,image,label_png,label_svg");
  std::set<std::string> expected_urls;
  for (std::size_t i = 1; i < manifest.size(); ++i) {
    std::string devid = manifest[i].substr(0, 8);
    auto bundle = json_of(read_text(dir_.file("batch/bundles/" + devid + ".json")));
    const std::string url = bundle["enrollment_url"];
    expected_urls.insert(url);
    EXPECT_EQ(url, "https://tte-00000A.net/.well-known/tte?otp=" +
                       bundle["otp"].get<std::string>() + "&devid=" + devid);
    // zbarimg, an independent decoder, reads exactly that URL off the PNG label.
    RunResult decoded = run({"zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable",
                             dir_.file("batch/labels/" + devid + ".png")});
    EXPECT_EQ(decoded.out, url + "\n") << devid << decoded.err;
    // The manual code printed under the code (and in the SVG) leads to the same device.
    const std::string code = bundle["manual_code"];
    std::string svg = read_text(dir_.file("batch/labels/" + devid + ".svg"));
    EXPECT_NE(svg.find(code.substr(0, 18)), std::string::npos);
    EXPECT_NE(svg.find(code.substr(19)), std::string::npos);
  }
  // The printable sheet, rendered at 300 dpi, carries every label.
  RunResult rendered = run({"pdftoppm", "-r", "300", "-png",
                            dir_.file("batch/labels/sheet-0001.pdf"), dir_.file("sheet")});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  std::set<std::string> on_sheets;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    if (entry.path().filename().string().rfind("sheet-", 0) != 0) continue;
    RunResult page =
        run({"zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", entry.path().string()});
    for (const auto& url : lines_of(page.out))
      on_sheets.insert(url);
  }
  EXPECT_EQ(on_sheets, expected_urls);
}

TEST_F(FactoryTest, BundlesCarryTheKeyTheDevicePresentsAndSecretsAre0600) {
  RunResult made =
      manufacture({"--count", "3", "--out", dir_.file("batch"), "--urn", "mac:0024beffff000001"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto manifest = lines_of(read_text(dir_.file("batch/manifest.csv")));
  std::string devid = manifest[1].substr(0, 8);
  EXPECT_EQ(devid, "ff000001");  // the low 32 bits of the EUI-64
  auto bundle = json_of(read_text(dir_.file("batch/bundles/" + devid + ".json")));
  EXPECT_EQ(bundle["urn"], "urn:dev:mac:0024beffff000001");
  write_text(dir_.file("device.crt"), bundle["device"]["certificate_pem"]);
  write_text(dir_.file("device.key"), bundle["device"]["private_key_pem"]);
  EXPECT_EQ(openssl_fingerprint(dir_.file("device.crt")), bundle["device"]["fingerprint"]);
  // The MotherShip stored that same fingerprint.
  RunResult shown = ms_.cli({"device", "show", devid, "--json"});
  EXPECT_EQ(json_of(shown.out)["fingerprint"], bundle["device"]["fingerprint"]);
  // And the device pins the MotherShip's DTLS key.
  EXPECT_EQ(bundle["mothership"]["fingerprint"], openssl_fingerprint(ms_.data_dir() + "/dtls.crt"));
  for (const char* secret : {"bundles/ff000001.json", "bundles/ff000001.nv", "labels/ff000001.png",
                             "labels/ff000001.svg", "labels/sheet-0001.pdf"}) {
    EXPECT_EQ(mode_of(dir_.file("batch/") + secret), 0600u) << secret;
  }
  EXPECT_EQ(mode_of(dir_.file("batch/manifest.csv")), 0644u);
  std::string manifest_text = read_text(dir_.file("batch/manifest.csv"));
  EXPECT_EQ(manifest_text.find(bundle["otp"].get<std::string>()), std::string::npos);  // no secrets

  // The device's key works: mapped at the MotherShip, it gets its Controller over CoAPS.
  ms_.start();
  RunResult claim = ms_.curl(
      {"-X", "POST", "-o", "/dev/null", "-w", "%{http_code}",
       ms_.url("/.well-known/tte?otp=" + bundle["otp"].get<std::string>() + "&devid=" + devid +
               "&cip=127.0.0.1&cport=5684&cfingerprint=" + kControllerFingerprint)});
  EXPECT_EQ(claim.out, "200");
  RunResult query = run({"coap-client-openssl", "-A", "50", "-c", dir_.file("device.crt"), "-j",
                         dir_.file("device.key"),
                         "coaps://127.0.0.1:" + std::to_string(ms_.coaps_port()) +
                             "/.well-known/tte?urn=urn:dev:mac:0024beffff000001"});
  EXPECT_NE(query.out.find(kControllerFingerprint), std::string::npos) << query.out << query.err;
}

// --psk (docs/protocol.md 13.3): a factory PSK per device, no key pair, PSK identity = the URN.
TEST_F(FactoryTest, PskDevicesGetAFactoryPskAndNoKeyPair) {
  RunResult made = manufacture({"--psk", "--count", "2", "--out", dir_.file("batch"), "--urn",
                                "ops:32473-Psk", "--no-labels"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  auto manifest = lines_of(read_text(dir_.file("batch/manifest.csv")));
  ASSERT_EQ(manifest.size(), 3u);
  const std::string devid = manifest[1].substr(0, 8);
  auto bundle = json_of(read_text(dir_.file("batch/bundles/" + devid + ".json")));
  const std::string psk = bundle["device"]["psk"].get<std::string>();
  EXPECT_EQ(psk.size(), 32u);
  EXPECT_FALSE(bundle["device"].contains("fingerprint"));
  EXPECT_FALSE(bundle["device"].contains("private_key_pem"));
  EXPECT_NE(json_of(read_text(
                dir_.file("batch/bundles/" + manifest[2].substr(0, 8) + ".json")))["device"]["psk"],
            psk);  // every device its own
  EXPECT_EQ(mode_of(dir_.file("batch/bundles/" + devid + ".json")), 0600u);
  EXPECT_EQ(mode_of(dir_.file("batch/bundles/" + devid + ".nv")), 0600u);
  EXPECT_EQ(read_text(dir_.file("batch/bundles/" + devid + ".nv")).size(), 195u);
  EXPECT_EQ(read_text(dir_.file("batch/manifest.csv")).find(psk), std::string::npos);
  EXPECT_EQ(mode_of(ms_.data_dir() + "/psk.key"), 0600u);
  RunResult shown = ms_.cli({"device", "show", devid, "--json"});
  EXPECT_TRUE(json_of(shown.out)["fingerprint"].is_null()) << shown.out;
  std::string psk_bytes;  // the database would hold the PSK as bytes, not as hex
  for (std::size_t i = 0; i < psk.size(); i += 2)
    psk_bytes += static_cast<char>(std::stoi(psk.substr(i, 2), nullptr, 16));
  for (const char* file : {"/mothership.db", "/mothership.db-wal"}) {
    if (!std::filesystem::exists(ms_.data_dir() + file)) continue;
    EXPECT_EQ(read_text(ms_.data_dir() + file).find(psk_bytes), std::string::npos) << file;
  }
  // A PSK Device has no key pair to collect.
  write_text(dir_.file("keys.csv"), std::string(kControllerFingerprint) + "\n");
  EXPECT_EQ(manufacture({"--psk", "--public-keys", dir_.file("keys.csv"), "--out", dir_.file("x")})
                .exit_code,
            2);
  // Nor in a box: a box claim carries no per-Device cpsk, which a PSK Device needs.
  RunResult boxed = manufacture({"--psk", "--box", "4", "--count", "4", "--out", dir_.file("y")});
  EXPECT_EQ(boxed.exit_code, 2) << boxed.err;
  EXPECT_NE(boxed.err.find("--box"), std::string::npos) << boxed.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("y")));
}

TEST_F(FactoryTest, MintingTheSameBatchTwiceIsRefusedAndNamesTheCollision) {
  ASSERT_EQ(manufacture({"--count", "4", "--out", dir_.file("a"), "--urn", "mac:0024beffff000001",
                         "--no-labels"})
                .exit_code,
            0);
  RunResult again = manufacture(
      {"--count", "4", "--out", dir_.file("b"), "--urn", "mac:0024beffff000003", "--no-labels"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("Dev ID ff000003 is already stored"), std::string::npos) << again.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("b")));
  EXPECT_FALSE(std::filesystem::exists(dir_.file("b.partial")));

  ASSERT_EQ(manufacture({"--count", "2", "--out", dir_.file("c"), "--no-labels"}).exit_code, 0);
  RunResult same_serials = manufacture({"--count", "2", "--out", dir_.file("d"), "--no-labels"});
  EXPECT_EQ(same_serials.exit_code, 1);
  EXPECT_NE(same_serials.err.find("URN urn:dev:ops:32473-Device-000001 is already stored"),
            std::string::npos)
      << same_serials.err;
  // Another range of serials gets new Dev IDs after the ones taken.
  RunResult next =
      manufacture({"--count", "2", "--out", dir_.file("e"), "--no-labels", "--first-serial", "3"});
  ASSERT_EQ(next.exit_code, 0) << next.err;
  auto c = lines_of(read_text(dir_.file("c/manifest.csv")));
  auto e = lines_of(read_text(dir_.file("e/manifest.csv")));
  std::set<std::string> dev_ids;
  for (const auto& manifest : {lines_of(read_text(dir_.file("a/manifest.csv"))), c, e}) {
    for (std::size_t i = 1; i < manifest.size(); ++i) {
      EXPECT_TRUE(dev_ids.insert(manifest[i].substr(0, 8)).second) << manifest[i];
    }
  }
  EXPECT_EQ(dev_ids.size(), 8u);
  EXPECT_EQ(ms_.cli({"audit", "verify"}).exit_code, 0);
}

TEST_F(FactoryTest, ThroughTheAdminApiAndAsAnImportFile) {
  ms_.start();
  write_text(dir_.file("token"), read_text(ms_.data_dir() + "/admin.token"));
  RunResult remote =
      manufacture({"--admin", "https://tte-00000A.net:" + std::to_string(ms_.admin_port()),
                   "--token-file", dir_.file("token"), "--cafile", ms_.data_dir() + "/ca.crt",
                   "--connect-to", "tte-00000A.net::127.0.0.1:" + std::to_string(ms_.admin_port()),
                   "--count", "3", "--out", dir_.file("remote"), "--no-labels"},
                  /*local=*/false);
  ASSERT_EQ(remote.exit_code, 0) << remote.err;
  EXPECT_EQ(json_of(remote.out)["stored"], "the admin API");
  RunResult shown = ms_.cli({"device", "show", "1", "--json"});
  EXPECT_EQ(json_of(shown.out)["urn"], "urn:dev:ops:32473-Device-000001");
  RunResult wrong_token =
      manufacture({"--admin", "https://tte-00000A.net:" + std::to_string(ms_.admin_port()),
                   "--token", "nope", "--cafile", ms_.data_dir() + "/ca.crt", "--connect-to",
                   "tte-00000A.net::127.0.0.1:" + std::to_string(ms_.admin_port()), "--count", "1",
                   "--out", dir_.file("never")},
                  false);
  EXPECT_EQ(wrong_token.exit_code, 1);
  EXPECT_NE(wrong_token.err.find("401"), std::string::npos) << wrong_token.err;

  RunResult file = manufacture({"--records-only", "--count", "2", "--first-serial", "10", "--out",
                                dir_.file("file"), "--no-labels"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  EXPECT_EQ(mode_of(dir_.file("file/records.jsonl")), 0600u);
  auto records = lines_of(read_text(dir_.file("file/records.jsonl")));
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(json_of(records[0])["devid"], "00000004");  // after the admin batch
  RunResult imported = ms_.cli({"import", dir_.file("file/records.jsonl")});
  EXPECT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_EQ(json_of(ms_.cli({"device", "show", "5", "--json"}).out)["urn"],
            "urn:dev:ops:32473-Device-000011");
}

TEST_F(FactoryTest, KeysMadeOnTheDevicesStayThere) {
  std::filesystem::create_directories(dir_.file("keys"));
  for (int i = 0; i < 3; ++i) {
    std::string key = dir_.file("keys/device" + std::to_string(i) + ".pem");
    ASSERT_EQ(run({"sh", "-c",
                   "openssl ecparam -name prime256v1 -genkey -noout | openssl pkey -pubout > '" +
                       key + "'"})
                  .exit_code,
              0);
  }
  // In boxes too: the factory mints the OTPs whoever made the keys.
  RunResult made = manufacture({"--public-keys", dir_.file("keys"), "--out", dir_.file("batch"),
                                "--no-labels", "--box", "2"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(json_of(made.out)["count"], 3);
  EXPECT_EQ(json_of(made.out)["boxes"], 2);
  EXPECT_EQ(json_of(read_text(dir_.file("batch/boxes/00000003.json")))["devids"],
            nlohmann::json::array({"00000003"}));
  auto bundle = json_of(read_text(dir_.file("batch/bundles/00000002.json")));
  EXPECT_FALSE(bundle["device"].contains("private_key_pem"));
  RunResult fingerprint = run(
      {"sh", "-c",
       "openssl pkey -pubin -in '" + dir_.file("keys/device1.pem") + "' -outform DER | sha256sum"});
  EXPECT_EQ(bundle["device"]["fingerprint"], fingerprint.out.substr(0, 64));
  RunResult wrong_count =
      manufacture({"--public-keys", dir_.file("keys"), "--count", "4", "--out", dir_.file("x")});
  EXPECT_EQ(wrong_count.exit_code, 2);
}

// A box's Device's OTP as docs/protocol.md §13.2 defines it, computed by the openssl command
// (OpensslBoxOtp checks this against §13.2's example):
// the first 8 bytes of HMAC-SHA256(box key, Dev ID as 4 bytes big-endian).
std::string openssl_box_otp(const std::string& key_hex, const std::string& devid) {
  std::string bytes;  // octal escapes: sh's printf knows no \x
  for (std::size_t i = 0; i < 8; i += 2) {
    char escape[8];
    std::snprintf(escape, sizeof escape, "\\%03o", std::stoi(devid.substr(i, 2), nullptr, 16));
    bytes += escape;
  }
  RunResult result =
      run({"sh", "-c",
           "printf '" + bytes + "' | openssl dgst -sha256 -mac HMAC -macopt hexkey:" + key_hex +
               " | sed 's/.*= //'"});
  return result.out.substr(0, 16);
}

TEST(OpensslBoxOtp, GivesTheProtocolsExample) {
  EXPECT_EQ(openssl_box_otp("000102030405060708090a0b0c0d0e0f", "00001000"), "cbf14130309dbcb2");
}

std::string zbar(const std::string& image) {
  return run({"zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", image}).out;
}

// Every file below dir, read whole (a database's bytes included).
std::vector<std::pair<std::string, std::string>> files_below(const std::string& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file())
      files.emplace_back(entry.path().string(), read_text(entry.path().string()));
  }
  return files;
}

std::string key_bytes(const std::string& key_hex) {
  std::string bytes;
  for (std::size_t i = 0; i < key_hex.size(); i += 2)
    bytes += static_cast<char>(std::stoi(key_hex.substr(i, 2), nullptr, 16));
  return bytes;
}

TEST_F(FactoryTest, BoxLabelsNameTheirDevicesAndTheMotherShipNeverSeesTheKey) {
  RunResult made = manufacture(
      {"--count", "50", "--box", "24", "--first-devid", "1000", "--out", dir_.file("batch")});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  EXPECT_EQ(json_of(made.out)["boxes"], 3);
  auto batch = json_of(read_text(dir_.file("batch/batch.json")));
  EXPECT_EQ(batch["box_size"], 24);
  EXPECT_EQ(batch["boxes"], 3);
  auto index = lines_of(read_text(dir_.file("batch/boxes.csv")));
  ASSERT_EQ(index.size(), 4u);
  EXPECT_EQ(index[0], "first,count,label");
  EXPECT_EQ(index[1], "00001000,24,boxes/00001000.png");
  EXPECT_EQ(index[3], "00001030,2,boxes/00001030.png");  // the last box is short
  EXPECT_EQ(mode_of(dir_.file("batch/boxes.csv")), 0644u);

  std::set<std::string> box_urls, keys;
  std::size_t devices = 0;
  for (std::size_t b = 1; b < index.size(); ++b) {
    const std::string first = index[b].substr(0, 8);
    const std::string base = dir_.file("batch/boxes/" + first);
    for (const char* ext : {".json", ".png", ".svg"})
      EXPECT_EQ(mode_of(base + ext), 0600u) << first << ext;
    auto box = json_of(read_text(base + ".json"));
    const std::string url_text = box["box_url"], key = box["box_key"];
    box_urls.insert(url_text);
    keys.insert(key);
    // zbarimg reads the box URL off the box label; parsed, it names the box's range and key.
    EXPECT_EQ(zbar(base + ".png"), url_text + "\n") << first;
    auto url = BoxUrl::parse(url_text, IdPolicy::operational);
    ASSERT_TRUE(url.ok()) << url_text;
    EXPECT_EQ(std::string(url->first().to_string().view()), first);
    EXPECT_EQ(url->count(), b < 3 ? 24u : 2u);
    EXPECT_EQ(box["count"], url->count());
    EXPECT_EQ(box["devids"].size(), url->count());
    EXPECT_EQ(box["last"],
              std::string(DevId(url->first().value() + url->count() - 1).to_string().view()));
    EXPECT_EQ(url_text.substr(url_text.size() - 32), key);
    // The box's manual code (on the label too) is the same box.
    const std::string code = box["manual_code"];
    auto decoded = manual_code::decode_box(code, IdPolicy::operational);
    ASSERT_TRUE(decoded.ok()) << code;
    EXPECT_EQ(decoded->to_string(), url->to_string());
    std::string svg = read_text(base + ".svg");
    EXPECT_TRUE(contains(svg, code.substr(0, 28))) << svg;
    EXPECT_TRUE(contains(svg, code.substr(29)));
    // Each Device's own label carries the OTP openssl derives from the box key.
    for (std::uint32_t i = 0; i < url->count(); ++i, ++devices) {
      const std::string devid(DevId(url->first().value() + i).to_string().view());
      EXPECT_EQ(box["devids"][i], devid);
      auto device = EnrollmentUrl::parse(
          lines_of(zbar(dir_.file("batch/labels/" + devid + ".png"))).at(0), IdPolicy::operational);
      ASSERT_TRUE(device.ok()) << devid;
      EXPECT_EQ(device->dev_id(), DevId(url->first().value() + i));
      EXPECT_EQ(std::string(device->otp().to_string().view()), openssl_box_otp(key, devid))
          << devid;
    }
  }
  EXPECT_EQ(devices, 50u);
  EXPECT_EQ(keys.size(), 3u);  // a fresh key per box
  // The box sheet, rendered at 300 dpi, carries every box label, its range printed beneath.
  RunResult rendered = run({"pdftoppm", "-r", "300", "-png",
                            dir_.file("batch/boxes/sheet-0001.pdf"), dir_.file("boxsheet")});
  ASSERT_EQ(rendered.exit_code, 0) << rendered.err;
  std::set<std::string> on_sheet;
  for (const auto& url : lines_of(zbar(dir_.file("boxsheet-1.png"))))
    on_sheet.insert(url);
  EXPECT_EQ(on_sheet, box_urls);
  EXPECT_EQ(mode_of(dir_.file("batch/boxes/sheet-0001.pdf")), 0600u);
  RunResult text = run({"pdftotext", dir_.file("batch/boxes/sheet-0001.pdf"), "-"});
  EXPECT_TRUE(contains(text.out, "Dev IDs 00001030-00001031 (2)")) << text.out;

  // What the MotherShip reads holds no box key: not its data directory (the database
  // included), not an import file, nor the batch's files outside boxes/.
  RunResult file = manufacture({"--records-only", "--count", "3", "--box", "2", "--first-devid",
                                "2000", "--out", dir_.file("file"), "--no-labels"});
  ASSERT_EQ(file.exit_code, 0) << file.err;
  for (const char* first : {"00002000", "00002002"})
    keys.insert(json_of(read_text(dir_.file("file/boxes/") + first + ".json"))["box_key"]);
  EXPECT_EQ(read_text(dir_.file("file/boxes.csv")),
            "first,count,label\n00002000,2,\n00002002,1,\n");
  auto read_by_the_mothership = files_below(ms_.data_dir());
  for (const char* path :
       {"file/records.jsonl", "file/manifest.csv", "file/batch.json", "file/boxes.csv",
        "batch/manifest.csv", "batch/batch.json", "batch/boxes.csv"}) {
    read_by_the_mothership.emplace_back(path, read_text(dir_.file(path)));
  }
  ASSERT_GT(read_by_the_mothership.size(), 7u);
  for (const auto& key : keys) {
    for (const auto& [path, content] : read_by_the_mothership) {
      EXPECT_FALSE(contains(content, key)) << path;
      EXPECT_FALSE(contains(content, key_bytes(key))) << path;
    }
  }

  // Each Device still works alone: its own label claims it.
  ms_.start();
  auto device = json_of(read_text(dir_.file("batch/bundles/00001031.json")));
  RunResult claim = ms_.curl(
      {"-X", "POST", "-o", "/dev/null", "-w", "%{http_code}",
       ms_.url("/.well-known/tte?otp=" + device["otp"].get<std::string>() +
               "&devid=00001031&cip=127.0.0.1&cport=5684&cfingerprint=" + kControllerFingerprint)});
  EXPECT_EQ(claim.out, "200");
}

TEST(FactoryCli, HelpAndUsage) {
  RunResult help = run({TTE_MOTHERSHIP_BIN, "manufacture", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag :
       {"--count", "--out", "--urn", "--first-devid", "--admin", "--token", "--public-keys",
        "--mothership-coaps", "--qr-level", "--records-only", "--box", "--json"}) {
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  }
  TempDir dir;
  EXPECT_EQ(
      run({TTE_MOTHERSHIP_BIN, "manufacture", "--count", "1", "--out", dir.file("x")}).exit_code,
      2);
}

// A number that is not one, or out of its range, is a usage error naming the
// option (it was "stoull" and exit 1).
TEST(FactoryCli, NumbersMustBeWholeAndInTheirRange) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases{
      {"count", {"many", "0", "4294967296"}},
      {"first-serial", {"one", "-1", "99999999999999999999"}},
      {"serial-digits", {"six", "0", "20"}},
      {"module-pixels", {"6px", "65"}},
      {"threads", {"all", "0"}},
      {"box", {"0", "10001", "24x", "-1"}}};
  for (const auto& [option, values] : cases) {
    for (const auto& value : values) {
      std::vector<std::string> argv{TTE_MOTHERSHIP_BIN, "manufacture", "--out",
                                    dir.file("x"),      "--" + option, value};
      if (option != "count") argv.insert(argv.end(), {"--count", "1"});
      RunResult result = run(argv);
      EXPECT_EQ(result.exit_code, 2) << option << " " << value << ": " << result.err;
      EXPECT_TRUE(contains(result.err, "--" + option + " must be a whole number from"))
          << option << " " << value << ": " << result.err;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
}

}  // namespace
}  // namespace tte::test
