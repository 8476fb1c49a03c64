#include "rd_lookup.hpp"

#include <gtest/gtest.h>

namespace tte::controller {
namespace {

const Fingerprint kLight = Fingerprint::parse(std::string(64, 'a')).value();
const Fingerprint kSensor = Fingerprint::parse(std::string(64, 'b')).value();
const std::string kLightUrn = "urn:dev:ops:32473-Light-0001";
const std::string kSensorUrn = "urn:dev:ops:32473-Sensor-0002";

LookupQuery query(std::vector<std::string> options) {
  auto parsed = parse_lookup_query(options);
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? parsed.value() : LookupQuery{};
}

// Two Devices as RFC 9176 section 7's examples have them: one plain, one in a
// sector with an endpoint type and a link anchored elsewhere.
Directory two_devices() {
  Directory directory;
  auto light = parse_registration({"ep=" + kLightUrn, "lt=600"}, "</light>;rt=tte.light;if=core.a",
                                  kLinkFormat);
  EXPECT_TRUE(light.ok());
  EXPECT_TRUE(
      directory.register_endpoint(light.value(), kLight, "coaps://192.0.2.9:40123", 1000).ok());
  auto sensor = parse_registration({"ep=" + kSensorUrn, "d=floor-3", "et=oic.d.sensor"},
                                   "</temp>;rt=\"tte.temp temperature\";if=core.s;obs,"
                                   "</t2>;anchor=\"coap://[2001:db8::9]:5683/\";rt=tte.temp",
                                   kLinkFormat);
  EXPECT_TRUE(sensor.ok());
  EXPECT_TRUE(
      directory.register_endpoint(sensor.value(), kSensor, "coaps://[2001:db8::7]:61616", 1000)
          .ok());
  return directory;
}

TEST(ResolveReference, FollowsRfc3986ForPathsAndAbsoluteUris) {
  EXPECT_EQ(resolve_reference("coaps://[2001:db8::7]:5684", "/light"),
            "coaps://[2001:db8::7]:5684/light");
  EXPECT_EQ(resolve_reference("coaps://192.0.2.9:40123/", "/light"),
            "coaps://192.0.2.9:40123/light");
  EXPECT_EQ(resolve_reference("coap://h/dev/1", "temp"), "coap://h/dev/temp");
  EXPECT_EQ(resolve_reference("coap://h", "temp"), "coap://h/temp");
  EXPECT_EQ(resolve_reference("coap://h", "coap://other/x"), "coap://other/x");
  EXPECT_EQ(resolve_reference("coaps://h:1", "//g:2/x"), "coaps://g:2/x");
  EXPECT_EQ(resolve_reference("coaps://h:1", ""), "coaps://h:1");
  // RFC 3986 section 5.4's examples (base http://a/b/c/d;p?q), with coap.
  const std::string b = "coap://a/b/c/d;p?q";
  const std::pair<const char*, const char*> examples[] = {
      {"g", "coap://a/b/c/g"},
      {"./g", "coap://a/b/c/g"},
      {"g/", "coap://a/b/c/g/"},
      {"/g", "coap://a/g"},
      {"//g", "coap://g"},
      {"?y", "coap://a/b/c/d;p?y"},
      {"g?y", "coap://a/b/c/g?y"},
      {"#s", "coap://a/b/c/d;p?q#s"},
      {"g#s", "coap://a/b/c/g#s"},
      {";x", "coap://a/b/c/;x"},
      {"", "coap://a/b/c/d;p?q"},
      {".", "coap://a/b/c/"},
      {"./", "coap://a/b/c/"},
      {"..", "coap://a/b/"},
      {"../", "coap://a/b/"},
      {"../g", "coap://a/b/g"},
      {"../..", "coap://a/"},
      {"../../g", "coap://a/g"},
      {"../../../g", "coap://a/g"},
      {"/./g", "coap://a/g"},
      {"/../g", "coap://a/g"},
      {"g.", "coap://a/b/c/g."},
      {"./../g", "coap://a/b/g"},
      {"./g/.", "coap://a/b/c/g/"},
      {"g/./h", "coap://a/b/c/g/h"},
      {"g/../h", "coap://a/b/c/h"},
      {"g;x=1/./y", "coap://a/b/c/g;x=1/y"},
      {"g;x=1/../y", "coap://a/b/c/y"},
  };
  for (const auto& [reference, target] : examples)
    EXPECT_EQ(resolve_reference(b, reference), target) << reference;
}

TEST(ParseLookupQuery, PagingNeedsCount) {
  auto paged = parse_lookup_query({"rt=tte.light", "page=2", "count=10"});
  ASSERT_TRUE(paged.ok());
  EXPECT_EQ(paged->page, 2u);
  EXPECT_EQ(paged->count, 10u);
  ASSERT_EQ(paged->filters.size(), 1u);
  EXPECT_EQ(parse_lookup_query({"page=1"}).error().code, Errc::missing);
  EXPECT_EQ(parse_lookup_query({"count=x"}).error().code, Errc::syntax);
  EXPECT_EQ(parse_lookup_query({"count=1", "count=2"}).error().code, Errc::duplicate);
  EXPECT_EQ(parse_lookup_query({"=v"}).error().code, Errc::syntax);
}

TEST(LookupFilter, MatchesExactlyOrByPrefix) {
  LookupFilter exact{"rt", std::string("tte.light")}, prefix{"rt", std::string("tte.*")};
  EXPECT_TRUE(exact.matches("tte.light"));
  EXPECT_FALSE(exact.matches("tte.lights"));
  EXPECT_TRUE(prefix.matches("tte.temp"));
  EXPECT_FALSE(prefix.matches("core.rd"));
  EXPECT_TRUE((LookupFilter{"rt", std::string("*")}).matches("anything"));
}

TEST(EndpointLookup, ListsRegistrationsWithTheirAttributes) {
  Directory directory = two_devices();
  EXPECT_EQ(lookup_endpoints(directory, query({})),
            "</rd/1>;ep=urn:dev:ops:32473-Light-0001;base=\"coaps://192.0.2.9:40123\";lt=600;"
            "rt=core.rd-ep,"
            "</rd/2>;ep=urn:dev:ops:32473-Sensor-0002;d=floor-3;"
            "base=\"coaps://[2001:db8::7]:61616\";lt=90000;et=oic.d.sensor;rt=core.rd-ep");
}

TEST(EndpointLookup, FiltersOnEveryKindOfAttribute) {
  Directory directory = two_devices();
  auto only = [&](std::vector<std::string> filters) {
    return lookup_endpoints(directory, query(std::move(filters)));
  };
  EXPECT_EQ(only({"ep=" + kLightUrn}).substr(0, 8), "</rd/1>;");
  EXPECT_EQ(only({"ep=urn:dev:ops:32473-Sensor*"}).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(only({"d=floor-3"}).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(only({"et=oic.d.sensor"}).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(only({"rt=tte.light"}).substr(0, 8), "</rd/1>;");  // a link's attribute
  EXPECT_EQ(only({"if=core.s"}).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(only({"href=/rd/2"}).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(only({"href=coaps://192.0.2.9:40123/light"}).substr(0, 8), "</rd/1>;");
  EXPECT_EQ(only({"base=coaps://[2001:db8::7]*"}).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(only({"obs"}).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(only({"d=floor-3", "rt=tte.light"}), "");  // filters combine with AND
  EXPECT_EQ(only({"ep=nobody"}), "");
}

TEST(EndpointLookup, PagesThroughTheResults) {
  Directory directory = two_devices();
  EXPECT_EQ(lookup_endpoints(directory, query({"count=1"})).substr(0, 8), "</rd/1>;");
  EXPECT_EQ(lookup_endpoints(directory, query({"page=1", "count=1"})).substr(0, 8), "</rd/2>;");
  EXPECT_EQ(lookup_endpoints(directory, query({"page=2", "count=1"})), "");
}

TEST(ResourceLookup, GivesAbsoluteTargetsAndAnchors) {
  Directory directory = two_devices();
  EXPECT_EQ(lookup_resources(directory, query({})),
            "<coaps://192.0.2.9:40123/light>;rt=tte.light;if=core.a;"
            "anchor=\"coaps://192.0.2.9:40123\","
            "<coaps://[2001:db8::7]:61616/temp>;rt=\"tte.temp temperature\";if=core.s;obs;"
            "anchor=\"coaps://[2001:db8::7]:61616\","
            "<coaps://[2001:db8::7]:61616/t2>;rt=tte.temp;anchor=\"coap://[2001:db8::9]:5683/\"");
}

TEST(ResourceLookup, FiltersOnLinkAndEndpointAttributes) {
  Directory directory = two_devices();
  auto found = [&](std::vector<std::string> filters) {
    return lookup_resources(directory, query(std::move(filters)));
  };
  // rt holds a list: any member matches.
  EXPECT_EQ(found({"rt=temperature"}),
            "<coaps://[2001:db8::7]:61616/temp>;rt=\"tte.temp temperature\";if=core.s;obs;"
            "anchor=\"coaps://[2001:db8::7]:61616\"");
  EXPECT_EQ(found({"rt=tte.temp", "count=1", "page=1"}),
            "<coaps://[2001:db8::7]:61616/t2>;rt=tte.temp;anchor=\"coap://[2001:db8::9]:5683/\"");
  EXPECT_EQ(found({"ep=" + kLightUrn}).substr(0, 33), "<coaps://192.0.2.9:40123/light>;r");
  EXPECT_EQ(found({"d=floor-3", "href=/temp"}).substr(0, 35),
            "<coaps://[2001:db8::7]:61616/temp>;");
  EXPECT_EQ(found({"href=coaps://192.0.2.9:40123/*"}).substr(0, 32),
            "<coaps://192.0.2.9:40123/light>;");
  EXPECT_EQ(found({"anchor=coap://[2001:db8::9]*"}).substr(0, 33),
            "<coaps://[2001:db8::7]:61616/t2>;");
  EXPECT_EQ(found({"if=core.a", "d=floor-3"}), "");
}

TEST(FilterLinks, KeepsWhatAWellKnownCoreQueryAsks) {
  auto links = parse_link_format(
      "</rd>;rt=core.rd;ct=40,</rd-lookup/ep>;rt=core.rd-lookup-ep;ct=40,"
      "</rd-lookup/res>;rt=core.rd-lookup-res;ct=40;obs");
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(filter_links(links.value(), query({"rt=core.rd*"})).size(), 3u);
  auto one = filter_links(links.value(), query({"rt=core.rd-lookup-res"}));
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].target, "/rd-lookup/res");
  EXPECT_EQ(filter_links(links.value(), query({"href=/rd"})).size(), 1u);
  EXPECT_EQ(filter_links(links.value(), query({"ct=40"})).size(), 3u);
}

}  // namespace
}  // namespace tte::controller
