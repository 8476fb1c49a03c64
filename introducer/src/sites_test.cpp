#include "sites.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::introducer {
namespace {

constexpr const char* kFingerprint =
    "98a0ecb70f640b791f6c97619565196f82cd4826d4223620d19bce9339f66be4";

class SitesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "sites-" + std::to_string(::getpid());
    make_private_directory(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return dir_ + "/sites.json"; }
  std::string dir_;
};

Site example_site(const char* address) {
  return Site{ControllerAddress::parse(address).value(), Fingerprint::parse(kFingerprint).value(),
              "http://192.0.2.7:8080", "intake-token"};
}

TEST_F(SitesTest, SavedSitesComeBack) {
  {
    Sites sites(path());
    EXPECT_TRUE(sites.all().empty());
    sites.put("bld30", example_site("192.0.2.7:5684"));
    sites.put("home", example_site("[2001:db8::7]:5684"));
    sites.save();
  }
  Sites sites(path());
  ASSERT_EQ(sites.all().size(), 2u);
  auto home = sites.find("home");
  ASSERT_TRUE(home);
  EXPECT_EQ(home->controller.to_string().view(), "[2001:db8::7]:5684");
  EXPECT_EQ(home->controller_fingerprint.to_string().view(), kFingerprint);
  EXPECT_EQ(home->notify_url, "http://192.0.2.7:8080");
  EXPECT_EQ(home->token, "intake-token");
  EXPECT_FALSE(sites.find("office"));

  EXPECT_TRUE(sites.remove("home"));
  EXPECT_FALSE(sites.remove("home"));
  sites.save();
  EXPECT_EQ(Sites(path()).all().size(), 1u);
}

TEST_F(SitesTest, TheFileIsPrivate) {  // it may hold intake tokens
  Sites sites(path());
  sites.put("bld30", example_site("192.0.2.7:5684"));
  sites.save();
  struct stat info {};
  ASSERT_EQ(::stat(path().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(SitesTest, AMalformedFileIsReportedNotIgnored) {
  for (const char* text :
       {"not json", "[]", "{\"sites\": 3}",
        "{\"sites\": {\"x\": {\"controller\": \"nowhere\", \"controller_fingerprint\": \"00\"}}}",
        "{\"sites\": {\"x\": 7}}"}) {
    write_file_atomic(path(), text, 0600);
    EXPECT_THROW(Sites{path()}, StartupError) << text;
  }
}

TEST(SiteNames, AreShortAndPlain) {
  EXPECT_TRUE(valid_site_name("bld30"));
  EXPECT_TRUE(valid_site_name("Site_2.floor-3"));
  EXPECT_FALSE(valid_site_name(""));
  EXPECT_FALSE(valid_site_name(std::string(65, 'a')));
  EXPECT_FALSE(valid_site_name("a b"));
  EXPECT_FALSE(valid_site_name("../etc"));
}

}  // namespace
}  // namespace tte::introducer
