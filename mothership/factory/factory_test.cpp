#include <gtest/gtest.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "box_plan.hpp"
#include "bundle.hpp"
#include "device_keys.hpp"
#include "manufacture.hpp"
#include "public_keys.hpp"
#include "tte/hex.hpp"
#include "tte/host/fingerprint.hpp"
#include "tte/host/otp_crypto.hpp"
#include "tte/manual_code.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/provisioning_image.hpp"
#include "urn_plan.hpp"
#include "vectors.hpp"

namespace tte::factory {
namespace {

ByteView bytes_of(const std::string& text) {
  return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

TEST(UrnPlan, MacRangesGiveTheirLow32BitsAsDevIds) {
  auto plan = UrnPlan::parse("mac:0024BEFFFFFFFFFE", 1, 6, 3);
  ASSERT_TRUE(plan.ok()) << testing::describe(plan);
  EXPECT_TRUE(plan->dev_id_from_urn());
  EXPECT_EQ(plan->urn(0).view(), "urn:dev:mac:0024befffffffffe");
  EXPECT_EQ(plan->urn(2).view(), "urn:dev:mac:0024bf0000000000");
  EXPECT_EQ(plan->dev_id(1), DevId(0xffffffff));
  EXPECT_EQ(plan->dev_id(2), DevId(0));
  auto eui48 = UrnPlan::parse("mac:0024befffffe", 1, 6, 2);
  EXPECT_EQ(eui48->urn(1).view(), "urn:dev:mac:0024beffffff");
  EXPECT_EQ(UrnPlan::parse("mac:ffffffffffff", 1, 6, 2).error().code, Errc::out_of_range);
  EXPECT_EQ(UrnPlan::parse("mac:0024be", 1, 6, 2).error().code, Errc::syntax);
}

TEST(UrnPlan, SerialPatterns) {
  auto ops = UrnPlan::parse("ops:32473-Light", 7, 4, 2);
  ASSERT_TRUE(ops.ok());
  EXPECT_FALSE(ops->dev_id_from_urn());
  EXPECT_EQ(ops->urn(0).view(), "urn:dev:ops:32473-Light-0007");
  EXPECT_EQ(ops->urn(1).view(), "urn:dev:ops:32473-Light-0008");
  EXPECT_EQ(UrnPlan::parse("os:32473", 1, 3, 1)->urn(0).view(), "urn:dev:os:32473-001");
  EXPECT_FALSE(UrnPlan::parse("ops:32473-Bad Product", 1, 6, 1).ok());
  EXPECT_FALSE(UrnPlan::parse("ops:032473-Light", 1, 6, 1).ok());
  EXPECT_EQ(UrnPlan::parse("ops:32473-" + std::string(40, 'x'), 1, 6, 1).error().code,
            Errc::too_long);
  EXPECT_FALSE(UrnPlan::parse("uuid:123", 1, 6, 1).ok());
}

TEST(DeviceKeys, CertificatesAreValidSelfSignedAndCarryTheKey) {
  DeviceKeyMaker maker;
  DeviceCredentials credentials = maker.make("urn:dev:ops:32473-Light-000001", 1795843720);
  const unsigned char* p = credentials.certificate_der.data();
  X509* cert = d2i_X509(nullptr, &p, static_cast<long>(credentials.certificate_der.size()));
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(p, credentials.certificate_der.data() + credentials.certificate_der.size());
  EXPECT_EQ(X509_verify(cert, X509_get0_pubkey(cert)), 1);  // the self-signature checks out
  char cn[128];
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "urn:dev:ops:32473-Light-000001");
  X509_free(cert);
  EXPECT_EQ(*fingerprint_of_certificate_der(credentials.certificate_der), credentials.fingerprint);
  EXPECT_EQ(*fingerprint_of_key_material(bytes_of(credentials.private_key_pem())),
            credentials.fingerprint);
  EXPECT_EQ(*fingerprint_of_key_material(bytes_of(credentials.certificate_pem())),
            credentials.fingerprint);
  EXPECT_NE(maker.make("urn:dev:ops:32473-Light-000002", 1795843720).fingerprint,
            credentials.fingerprint);
}

MotherShipInfo test_mothership() {
  return MotherShipInfo{
      MsId::from_value(10, IdPolicy::operational).value(),
      Fingerprint::parse("9bb17f2d42aac35857dab4dd02a7feb5bebd89ab6001bd261dc30783430be327")
          .value(),
      ControllerAddress::parse("192.0.2.1:5684").value()};
}

TEST(Bundle, APskDeviceCarriesItsFactoryPskAndNoKey) {
  MintedDevice device{
      DevId(5),     DevUrn::parse("urn:dev:ops:32473-Light-000005").value(),
      Otp(0x1005),  std::nullopt,
      std::nullopt, FactoryPsk{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
  device.entropy_seed.fill(0x5e);
  const std::string json = bundle_json(device, test_mothership());
  EXPECT_NE(json.find("\"psk\": \"0102030405060708090a0b0c0d0e0f10\""), std::string::npos) << json;
  EXPECT_FALSE(nlohmann::json::parse(json)["device"].contains("fingerprint")) << json;
  auto bundle = Bundle::from_json(json, IdPolicy::operational);
  ASSERT_TRUE(bundle.ok()) << testing::describe(bundle);
  EXPECT_FALSE(bundle->fingerprint);
  EXPECT_EQ(bundle->factory_psk, device.factory_psk);
  EXPECT_TRUE(bundle->private_key_pem.empty());
  auto image_bytes = provisioning_image(device, test_mothership());
  EXPECT_EQ(image_bytes.size(), 195u);
  auto image = ProvisioningImage::decode(image_bytes, IdPolicy::operational);
  ASSERT_TRUE(image.ok()) << testing::describe(image);
  ASSERT_EQ(image->factory_psk.size(), 16u);
  EXPECT_EQ(image->factory_psk[15], 16);
  EXPECT_TRUE(image->private_key.empty());
}

TEST(Bundle, JsonAndImageCarryTheSameDevice) {
  DeviceKeyMaker maker;
  MintedDevice device{DevId(0xabcdef01),
                      DevUrn::parse("urn:dev:ops:32473-Light-000001").value(),
                      Otp(0x123456789abcdef0),
                      Fingerprint(),
                      maker.make("urn:dev:ops:32473-Light-000001", 0),
                      std::nullopt};
  device.fingerprint = device.credentials->fingerprint;
  device.entropy_seed.fill(0x5e);
  auto bundle = Bundle::from_json(bundle_json(device, test_mothership()), IdPolicy::operational);
  ASSERT_TRUE(bundle.ok()) << testing::describe(bundle);
  EXPECT_EQ(bundle->dev_id, device.dev_id);
  EXPECT_EQ(bundle->otp, device.otp);
  EXPECT_EQ(bundle->mothership.to_string(), "192.0.2.1:5684");
  EXPECT_EQ(*fingerprint_of_key_material(bytes_of(bundle->certificate_pem)), bundle->fingerprint);
  auto image_bytes = provisioning_image(device, test_mothership());
  auto image = ProvisioningImage::decode(image_bytes, IdPolicy::operational);
  ASSERT_TRUE(image.ok()) << testing::describe(image);
  EXPECT_EQ(image->urn, device.urn);
  EXPECT_EQ(image->otp, device.otp);
  EXPECT_EQ(*fingerprint_of_certificate_der(image->certificate), device.fingerprint);
  ASSERT_EQ(image->entropy_seed.size(), ProvisioningImage::kEntropySeedSize);
  EXPECT_EQ(image->entropy_seed[0], 0x5e);
  EXPECT_EQ(Bundle::from_json("{\"format\":\"other\"}", IdPolicy::operational).error().code,
            Errc::unsupported);
}

TEST(Plan, AllocatesDevIdsOrTakesThemFromMacUrns) {
  BatchOptions options;
  options.count = 3;
  auto plan = plan_batch(options, {}, DevId(41));
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].dev_id, DevId(41));
  EXPECT_EQ(plan[2].urn.view(), "urn:dev:ops:32473-Device-000003");
  options.first_dev_id = DevId(0xfffffffe);
  EXPECT_THROW(plan_batch(options, {}, DevId(41)), UsageError);
  options.first_dev_id.reset();
  options.urn_spec = "mac:0024beffff000010";
  EXPECT_EQ(plan_batch(options, {}, DevId(41))[1].dev_id, DevId(0xff000011));
  options.count = 0;
  EXPECT_THROW(plan_batch(options, {}, DevId(1)), UsageError);
}

TEST(PublicKeys, DirectoriesPemFilesAndCsv) {
  auto dir = std::filesystem::temp_directory_path() / ("tte-keys-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir / "keys");
  std::string device = testing::read_proto_file("keys/device-test.crt");
  std::string controller = testing::read_proto_file("keys/controller-test.pub");
  std::ofstream(dir / "keys" / "b.pem") << controller;
  std::ofstream(dir / "keys" / "a.pem") << device;
  auto from_dir = read_public_keys((dir / "keys").string());
  ASSERT_EQ(from_dir.size(), 2u);
  EXPECT_EQ(from_dir[0].fingerprint.to_string(),
            "9e80f80b941243c01cd0b430ce21f52b0158ad296e91a4e4ab72891729226486");
  std::ofstream(dir / "both.pem") << device << controller;
  EXPECT_EQ(read_public_keys((dir / "both.pem").string()).size(), 2u);
  std::ofstream(dir / "list.csv")
      << "urn,fingerprint\nurn:dev:ops:32473-A-1,"
      << "9E80F80B941243C01CD0B430CE21F52B0158AD296E91A4E4AB72891729226486\n# comment\n";
  auto csv = read_public_keys((dir / "list.csv").string());
  ASSERT_EQ(csv.size(), 1u);
  EXPECT_EQ(csv[0].urn->view(), "urn:dev:ops:32473-A-1");
  std::ofstream(dir / "bad.csv") << "9e80\n";
  EXPECT_THROW(read_public_keys((dir / "bad.csv").string()), StartupError);
  BatchOptions options;
  options.count = 5;
  EXPECT_THROW(plan_batch(options, from_dir, DevId(1)), UsageError);  // 5 devices, 2 keys
  options.count = 0;
  auto plan = plan_batch(options, csv, DevId(9));
  EXPECT_EQ(plan[0].urn.view(), "urn:dev:ops:32473-A-1");
  EXPECT_EQ(plan[0].fingerprint->to_string(),
            "9e80f80b941243c01cd0b430ce21f52b0158ad296e91a4e4ab72891729226486");
  std::filesystem::remove_all(dir);
}

TEST(PlanBoxes, ConsecutiveBoxesTheLastOneShort) {
  auto boxes = plan_boxes(DevId(0x1000), 50, 24);
  ASSERT_TRUE(boxes.ok()) << testing::describe(boxes);
  ASSERT_EQ(boxes->size(), 3u);
  EXPECT_EQ((*boxes)[0], (PlannedBox{0, DevId(0x1000), 24}));
  EXPECT_EQ((*boxes)[0].last(), DevId(0x1017));
  EXPECT_EQ((*boxes)[1], (PlannedBox{24, DevId(0x1018), 24}));
  EXPECT_EQ((*boxes)[2], (PlannedBox{48, DevId(0x1030), 2}));
  EXPECT_EQ((*boxes)[2].last(), DevId(0x1031));
  // Exact multiples leave no short box; a box larger than the batch is the batch.
  EXPECT_EQ(plan_boxes(DevId(1), 48, 24)->size(), 2u);
  EXPECT_EQ(plan_boxes(DevId(1), 48, 24)->back().count, 24u);
  EXPECT_EQ(plan_boxes(DevId(1), 7, 10000)->front(), (PlannedBox{0, DevId(1), 7}));
  EXPECT_EQ(plan_boxes(DevId(1), 20001, 10000)->size(), 3u);
  // The last Dev ID may be ffffffff, not beyond.
  EXPECT_EQ(plan_boxes(DevId(0xfffffffe), 2, 1)->back().first, DevId(0xffffffff));
  EXPECT_EQ(plan_boxes(DevId(0xfffffffe), 3, 2).error().code, Errc::out_of_range);
  EXPECT_EQ(plan_boxes(DevId(1), 10, 0).error().code, Errc::out_of_range);
  EXPECT_EQ(plan_boxes(DevId(1), 10, 10001).error().code, Errc::out_of_range);
  EXPECT_EQ(plan_boxes(DevId(1), 0, 5).error().code, Errc::out_of_range);
}

TEST(Plan, BoxesNeedDevIdsThatFollowEachOther) {
  BatchOptions options;
  options.count = 3;
  options.box_size = 2;
  EXPECT_EQ(plan_batch(options, {}, DevId(41)).size(), 3u);
  // A MAC range whose low 32 bits wrap past ffffffff cannot be named by a box URL.
  options.urn_spec = "mac:0024beffffffffff";
  EXPECT_THROW(plan_batch(options, {}, DevId(41)), UsageError);
  options.box_size = 0;
  EXPECT_EQ(plan_batch(options, {}, DevId(41)).size(), 3u);
}

unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(MintBatch, BoxesGetKeysTheMotherShipNeverSees) {
  auto dir = std::filesystem::temp_directory_path() / ("tte-boxes-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  BatchOptions options;
  options.out = (dir / "batch").string();
  options.count = 5;
  options.box_size = 2;
  options.threads = 2;
  auto plan = plan_batch(options, {}, DevId(0x1000));
  std::vector<mothership::FactoryRecord> stored;
  auto result = mint_batch(options, test_mothership(), plan,
                           [&](const std::vector<mothership::FactoryRecord>& records) {
                             stored = records;
                             return std::string("the test");
                           });
  EXPECT_EQ(result.boxes, 3u);
  ASSERT_EQ(stored.size(), 5u);
  const auto batch = nlohmann::json::parse(read_text(dir / "batch/batch.json"));
  EXPECT_EQ(batch["box_size"], 2);
  EXPECT_EQ(batch["boxes"], 3);
  EXPECT_EQ(read_text(dir / "batch/boxes.csv"),
            "first,count,label\n00001000,2,boxes/00001000.png\n"
            "00001002,2,boxes/00001002.png\n00001004,1,boxes/00001004.png\n");
  EXPECT_EQ(mode_of(dir / "batch/boxes.csv"), 0644u);

  std::set<std::string> keys;
  std::size_t device = 0;
  for (const char* first : {"00001000", "00001002", "00001004"}) {
    const auto base = dir / "batch/boxes" / first;
    for (const char* ext : {".json", ".png", ".svg"}) {
      EXPECT_EQ(mode_of(base.string() + ext), 0600u) << first << ext;
    }
    const auto box = nlohmann::json::parse(read_text(base.string() + ".json"));
    EXPECT_EQ(box["first"], first);
    const std::string key_hex = box["box_key"];
    EXPECT_TRUE(keys.insert(key_hex).second);  // a fresh key per box
    auto url = BoxUrl::parse(box["box_url"].get<std::string>(), IdPolicy::operational);
    ASSERT_TRUE(url.ok()) << testing::describe(url);
    EXPECT_EQ(std::string(url->first().to_string().view()), first);
    EXPECT_EQ(url->count(), box["count"].get<std::uint32_t>());
    EXPECT_EQ(box["devids"].size(), url->count());
    EXPECT_EQ(box["last"],
              std::string(DevId(url->first().value() + url->count() - 1).to_string().view()));
    std::string url_key(32, '\0');
    write_hex_lower(url->key(), url_key.data());
    EXPECT_EQ(url_key, key_hex);
    auto code =
        manual_code::decode_box(box["manual_code"].get<std::string>(), IdPolicy::operational);
    ASSERT_TRUE(code.ok()) << testing::describe(code);
    EXPECT_EQ(code->to_string(), url->to_string());
    // Each Device's OTP, in its record and its bundle, derives from its box's key.
    for (std::uint32_t i = 0; i < url->count(); ++i, ++device) {
      const DevId dev_id(url->first().value() + i);
      EXPECT_EQ(stored[device].dev_id, dev_id);
      EXPECT_EQ(stored[device].otp, *box_device_otp(url->key(), dev_id));
      auto bundle = Bundle::from_json(
          read_text(dir / "batch/bundles" / (std::string(dev_id.to_string().view()) + ".json")),
          IdPolicy::operational);
      EXPECT_EQ(bundle->otp, stored[device].otp);
    }
    // What the MotherShip is given and every file outside boxes/ holds no box key.
    for (const auto& record : stored)
      EXPECT_EQ(record.to_json().find(key_hex), std::string::npos);
    for (const char* file : {"manifest.csv", "batch.json", "boxes.csv"})
      EXPECT_EQ(read_text(dir / "batch" / file).find(key_hex), std::string::npos) << file;
  }
  EXPECT_EQ(device, 5u);
  EXPECT_TRUE(std::filesystem::exists(dir / "batch/boxes/sheet-0001.pdf"));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tte::factory
