#include "directory.hpp"

#include <gtest/gtest.h>

#include "vectors.hpp"

namespace tte::controller {
namespace {

const Fingerprint kLight = Fingerprint::parse(std::string(64, 'a')).value();
const Fingerprint kSwitch = Fingerprint::parse(std::string(64, 'b')).value();
constexpr const char* kLinks = "</light>;rt=tte.light;obs";
const std::string kSource = "coaps://192.0.2.9:40123";

RegistrationRequest request(const std::string& ep, const std::string& lt = "") {
  std::vector<std::string> query{"ep=" + ep};
  if (!lt.empty()) query.push_back("lt=" + lt);
  auto parsed = parse_registration(query, kLinks, kLinkFormat);
  EXPECT_TRUE(parsed.ok()) << testing::describe(parsed);
  return parsed.value();
}

TEST(ParseRegistration, TakesTheRfc9176Parameters) {
  auto parsed = parse_registration({"ep=urn:dev:ops:32473-Light-0001", "lt=120", "d=bld30",
                                    "base=coaps://[2001:db8::9]", "et=tte.light"},
                                   kLinks, std::nullopt);
  ASSERT_TRUE(parsed.ok()) << testing::describe(parsed);
  EXPECT_EQ(parsed->endpoint, "urn:dev:ops:32473-Light-0001");
  EXPECT_EQ(parsed->lifetime, 120);
  EXPECT_EQ(parsed->sector, "bld30");
  EXPECT_EQ(parsed->base, "coaps://[2001:db8::9]");
  ASSERT_EQ(parsed->extra.size(), 1u);
  EXPECT_EQ(parsed->extra[0].first, "et");
  EXPECT_EQ(parsed->links.size(), 1u);
  EXPECT_EQ(request("urn:dev:ops:32473-Light-0001").lifetime,
            kDefaultLifetime);  // RFC 9176's default
}

TEST(ParseRegistration, NamesWhatIsWrong) {
  auto error_of = [](std::vector<std::string> query, std::string payload = kLinks,
                     std::optional<unsigned> format = kLinkFormat) {
    return parse_registration(query, payload, format).error();
  };
  EXPECT_EQ(error_of({"lt=60"}).code, Errc::missing);
  EXPECT_EQ(error_of({"lt=60"}).field, std::string("ep"));
  EXPECT_EQ(error_of({"ep=not-a-urn"}).field, std::string("ep"));
  EXPECT_EQ(error_of({"ep=urn:dev:ops:1-x-1", "ep=urn:dev:ops:1-x-2"}).code, Errc::duplicate);
  EXPECT_EQ(error_of({"ep=urn:dev:ops:1-x-1", "lt=0"}).code, Errc::out_of_range);
  EXPECT_EQ(error_of({"ep=urn:dev:ops:1-x-1", "lt=4294967296"}).code, Errc::out_of_range);
  EXPECT_EQ(error_of({"ep=urn:dev:ops:1-x-1", "lt=abc"}).code, Errc::syntax);
  EXPECT_EQ(error_of({"ep=urn:dev:ops:1-x-1"}, kLinks, 50).code, Errc::unsupported);
  EXPECT_EQ(error_of({"ep=urn:dev:ops:1-x-1"}, "").code, Errc::missing);
  EXPECT_EQ(error_of({"ep=urn:dev:ops:1-x-1"}, "<broken").code, Errc::syntax);
  EXPECT_EQ(error_of({"=x", "ep=urn:dev:ops:1-x-1"}).code, Errc::syntax);
}

TEST(ParseUpdate, HasNoPayloadAndKeepsTheName) {
  auto update = parse_update({"lt=300"}, "");
  ASSERT_TRUE(update.ok());
  EXPECT_EQ(update->lifetime, 300);
  EXPECT_FALSE(update->base);
  EXPECT_TRUE(parse_update({}, "").ok());
  EXPECT_EQ(parse_update({}, kLinks).error().code, Errc::syntax);
  EXPECT_EQ(parse_update({"ep=urn:dev:ops:1-x-1"}, "").error().code, Errc::syntax);
  EXPECT_EQ(parse_update({"lt=1", "lt=2"}, "").error().code, Errc::duplicate);
}

TEST(CheckEndpointName, StrictWantsTheAnnouncedUrn) {
  const std::string urn = "urn:dev:ops:32473-Light-0001";
  EXPECT_TRUE(check_endpoint_name(urn, kLight, urn, kLight, true).ok());
  EXPECT_EQ(check_endpoint_name("urn:dev:ops:32473-Other-1", kLight, urn, std::nullopt, true)
                .error()
                .code,
            Errc::forbidden);
  EXPECT_FALSE(check_endpoint_name(urn, kLight, std::nullopt, std::nullopt, true).ok());
  // open: any name, but not one announced for another key.
  EXPECT_TRUE(check_endpoint_name(urn, kLight, std::nullopt, std::nullopt, false).ok());
  EXPECT_FALSE(check_endpoint_name(urn, kSwitch, std::nullopt, kLight, false).ok());
  EXPECT_FALSE(
      check_endpoint_name("urn:dev:ops:32473-Other-1", kLight, urn, std::nullopt, false).ok());
}

TEST(Directory, RegistersUpdatesAndRemoves) {
  Directory directory;
  auto first = directory.register_endpoint(request("urn:dev:ops:32473-Light-0001", "60"), kLight,
                                           kSource, 1000);
  ASSERT_TRUE(first.ok());
  EXPECT_FALSE(first->replaced);
  const std::string location = first->registration.location;
  EXPECT_EQ(location.rfind("rd/", 0), 0u);
  EXPECT_EQ(first->registration.expires_at(), 1060);
  EXPECT_TRUE(first->registration.has_resource("/light"));

  auto updated =
      directory.update(location, UpdateRequest{120, std::nullopt}, kLight, kSource, 1050);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->expires_at(), 1170);
  EXPECT_EQ(directory.update(location, UpdateRequest{}, kSwitch, kSource, 1050).error().code,
            Errc::forbidden);
  EXPECT_EQ(directory.update("rd/999", UpdateRequest{}, kLight, kSource, 1050).error().code,
            Errc::not_found);

  EXPECT_EQ(directory.remove(location, kSwitch).error().code, Errc::forbidden);
  ASSERT_TRUE(directory.remove(location, kLight).ok());
  EXPECT_EQ(directory.size(), 0u);
  EXPECT_EQ(directory.remove(location, kLight).error().code, Errc::not_found);
}

TEST(Directory, ARepeatedRegistrationReplacesAndKeepsTheLocation) {
  Directory directory;
  auto first =
      directory.register_endpoint(request("urn:dev:ops:32473-Light-0001"), kLight, kSource, 1000);
  auto again = directory.register_endpoint(request("urn:dev:ops:32473-Light-0001", "300"), kLight,
                                           kSource, 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replaced);
  EXPECT_EQ(again->registration.location, first->registration.location);
  EXPECT_EQ(again->registration.lifetime, 300);
  EXPECT_EQ(directory.size(), 1u);
  // Another key may not take the name.
  EXPECT_EQ(
      directory.register_endpoint(request("urn:dev:ops:32473-Light-0001"), kSwitch, kSource, 2000)
          .error()
          .code,
      Errc::forbidden);
  // The same key under a new name: a key is one endpoint, renamed.
  auto renamed =
      directory.register_endpoint(request("urn:dev:ops:32473-Light-0002"), kLight, kSource, 3000);
  ASSERT_TRUE(renamed.ok());
  EXPECT_TRUE(renamed->replaced);
  EXPECT_EQ(directory.size(), 1u);
  EXPECT_FALSE(directory.find_endpoint("urn:dev:ops:32473-Light-0001"));
  EXPECT_TRUE(directory.find_endpoint("urn:dev:ops:32473-Light-0002"));
}

TEST(Directory, ANameBelongsToOneKeyInEverySector) {
  Directory directory;
  auto floor = request("urn:dev:ops:32473-Light-0001");
  floor.sector = "a";
  ASSERT_TRUE(directory.register_endpoint(floor, kLight, kSource, 1000).ok());
  // Another key may not take the name in another sector, nor in the default one.
  floor.sector = "zzz";
  EXPECT_EQ(directory.register_endpoint(floor, kSwitch, kSource, 1000).error().code,
            Errc::forbidden);
  EXPECT_EQ(
      directory.register_endpoint(request("urn:dev:ops:32473-Light-0001"), kSwitch, kSource, 1000)
          .error()
          .code,
      Errc::forbidden);
  EXPECT_EQ(directory.size(), 1u);
}

TEST(Directory, SectorsHoldSeparateRegistrations) {
  Directory directory;
  auto plain =
      directory.register_endpoint(request("urn:dev:ops:32473-Light-0001"), kLight, kSource, 1000);
  auto floor = request("urn:dev:ops:32473-Light-0001");
  floor.sector = "floor-3";
  auto sectored = directory.register_endpoint(floor, kLight, kSource, 1000);
  ASSERT_TRUE(plain.ok() && sectored.ok());
  EXPECT_FALSE(sectored->replaced);
  EXPECT_NE(plain->registration.location, sectored->registration.location);
  EXPECT_EQ(directory.size(), 2u);
  EXPECT_EQ(directory.find_endpoint("urn:dev:ops:32473-Light-0001", "floor-3")->location,
            sectored->registration.location);
  EXPECT_EQ(directory.find_endpoint("urn:dev:ops:32473-Light-0001")->location,
            plain->registration.location);  // the default sector first
  // The same name and sector again replaces, in place.
  auto again = directory.register_endpoint(floor, kLight, kSource, 2000);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replaced);
  EXPECT_EQ(again->registration.location, sectored->registration.location);
  EXPECT_EQ(directory.drop_key(kLight).size(), 2u);
  EXPECT_EQ(directory.size(), 0u);
}

TEST(Directory, OneKeyHoldsABoundedNumberOfRegistrations) {
  Directory directory;
  for (std::size_t i = 0; i < kMaxRegistrationsPerKey; ++i) {
    auto r = request("urn:dev:ops:32473-Light-0001");
    r.sector = "s" + std::to_string(i);
    ASSERT_TRUE(directory.register_endpoint(r, kLight, kSource, 1000).ok());
  }
  auto one_more = request("urn:dev:ops:32473-Light-0001");
  one_more.sector = "extra";
  EXPECT_EQ(directory.register_endpoint(one_more, kLight, kSource, 1000).error().code,
            Errc::forbidden);
  auto replaced = request("urn:dev:ops:32473-Light-0001");
  replaced.sector = "s0";
  EXPECT_TRUE(directory.register_endpoint(replaced, kLight, kSource, 1000).ok());
}

TEST(Directory, TheBaseIsTheSourceUnlessRegistered) {
  Directory directory;
  auto registered = directory.register_endpoint(request("urn:dev:ops:32473-Light-0001"), kLight,
                                                "coaps://192.0.2.9:40123", 1000);
  ASSERT_TRUE(registered.ok());
  EXPECT_EQ(registered->registration.base_uri(), "coaps://192.0.2.9:40123");
  UpdateRequest moved;
  const std::string location = registered->registration.location;
  auto updated = directory.update(location, moved, kLight, "coaps://192.0.2.9:50000", 1010);
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->base_uri(), "coaps://192.0.2.9:50000");
  moved.base = "coap://[2001:db8::1]";
  updated = directory.update(location, moved, kLight, "coaps://192.0.2.9:50000", 1020);
  EXPECT_EQ(updated->base_uri(), "coap://[2001:db8::1]");
}

TEST(ParseRegistration, RefusesValuesThatWouldForgeLinksInLookups) {
  const std::string ep = "ep=urn:dev:ops:32473-Light-0001";
  EXPECT_TRUE(parse_registration({ep, "base=coap://[2001:db8::1]:5683"}, kLinks, 40u).ok());
  EXPECT_EQ(parse_registration({ep, "base=coap://x>;rt=evil,<coap://y"}, kLinks, 40u).error().code,
            Errc::syntax);
  EXPECT_EQ(parse_registration({ep, "base=/relative"}, kLinks, 40u).error().code, Errc::syntax);
  EXPECT_EQ(parse_registration({ep, "d=a\"b"}, kLinks, 40u).error().code, Errc::syntax);
  EXPECT_EQ(parse_registration({ep, "d=floor\n3"}, kLinks, 40u).error().code, Errc::syntax);
  EXPECT_EQ(parse_registration({ep, "et=a>b"}, kLinks, 40u).error().code, Errc::syntax);
  EXPECT_EQ(parse_registration({ep, "l)=60"}, kLinks, 40u).error().code, Errc::syntax);
  EXPECT_EQ(parse_registration({ep, "page=1"}, kLinks, 40u).error().code, Errc::syntax);
  EXPECT_EQ(parse_update({"base=coap://x,<y>"}, "").error().code, Errc::syntax);
  EXPECT_EQ(parse_update({"page=1"}, "").error().code, Errc::syntax);
  EXPECT_EQ(parse_update({"d=other"}, "").error().code, Errc::syntax);
  EXPECT_EQ(parse_update({"base=coap://h/p?q"}, "").error().code, Errc::syntax);
  auto et = parse_update({"et=oic.d.light"}, "");
  ASSERT_TRUE(et.ok());
  ASSERT_EQ(et->extra.size(), 1u);
}

TEST(ParseSimpleRegistration, WantsNoPayloadAndNoBase) {
  auto simple = parse_simple_registration({"ep=urn:dev:ops:32473-Light-0001", "lt=60"}, "");
  ASSERT_TRUE(simple.ok());
  EXPECT_EQ(simple->lifetime, 60);
  EXPECT_TRUE(simple->links.empty());
  EXPECT_EQ(parse_simple_registration({"ep=urn:dev:ops:32473-Light-0001"}, "</a>").error().code,
            Errc::syntax);
  EXPECT_EQ(parse_simple_registration({"ep=urn:dev:ops:32473-Light-0001", "base=coap://x"}, "")
                .error()
                .code,
            Errc::syntax);
  EXPECT_EQ(parse_simple_registration({"lt=60"}, "").error().code, Errc::missing);
}

TEST(Directory, RegistrationsExpireWhenTheirLifetimePasses) {
  Directory directory;
  ASSERT_TRUE(
      directory
          .register_endpoint(request("urn:dev:ops:32473-Light-0001", "60"), kLight, kSource, 1000)
          .ok());
  ASSERT_TRUE(directory
                  .register_endpoint(request("urn:dev:ops:32473-Switch-0001", "600"), kSwitch,
                                     kSource, 1000)
                  .ok());
  EXPECT_EQ(directory.next_expiry(), 1060);
  EXPECT_TRUE(directory.expire(1059).empty());
  auto expired = directory.expire(1060);
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].endpoint, "urn:dev:ops:32473-Light-0001");
  EXPECT_EQ(directory.size(), 1u);
  EXPECT_EQ(directory.next_expiry(), 1600);
  // Updates push the expiry out.
  const std::string location = directory.find_endpoint("urn:dev:ops:32473-Switch-0001")->location;
  ASSERT_TRUE(directory.update(location, UpdateRequest{}, kSwitch, kSource, 1500).ok());
  EXPECT_EQ(directory.next_expiry(), 2100);
  ASSERT_EQ(directory.drop_key(kSwitch).size(), 1u);
  EXPECT_FALSE(directory.next_expiry());
}

TEST(Directory, ReRegistrationsAndLifetimeChangesMoveTheExpiry) {
  Directory directory;
  const auto light = request("urn:dev:ops:32473-Light-0001", "600");
  ASSERT_TRUE(directory.register_endpoint(light, kLight, kSource, 1000).ok());
  // Registering again with a shorter lifetime: the old expiry is forgotten.
  ASSERT_TRUE(
      directory
          .register_endpoint(request("urn:dev:ops:32473-Light-0001", "30"), kLight, kSource, 1010)
          .ok());
  EXPECT_EQ(directory.next_expiry(), 1040);
  const std::string location = directory.find_endpoint("urn:dev:ops:32473-Light-0001")->location;
  UpdateRequest longer;
  longer.lifetime = 90;
  ASSERT_TRUE(directory.update(location, longer, kLight, kSource, 1020).ok());
  EXPECT_EQ(directory.next_expiry(), 1110);
  EXPECT_TRUE(directory.expire(1600).size() == 1);  // once, not once per earlier lifetime
  EXPECT_EQ(directory.size(), 0u);
  EXPECT_FALSE(directory.next_expiry());
}

}  // namespace
}  // namespace tte::controller
