#include "resource_directory.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "tte/host/status.hpp"
#include "tte/platform/files.hpp"

namespace tte::controller {
namespace {

const std::string kUrn = "urn:dev:ops:32473-Light-0001";
const std::string kLinks = "</light>;rt=\"tte.light\";if=core.a";

class ResourceDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "rd-" + std::to_string(::getpid());
    make_private_directory(dir_);
    registry_ = std::make_unique<Registry>(dir_ + "/controller.db", Policy::open);
    rd_ = std::make_unique<ResourceDirectory>(*registry_, logger_);
  }
  void TearDown() override {
    rd_.reset();
    registry_.reset();
    std::filesystem::remove_all(dir_);
  }

  RdRequest request(Method method, const std::string& path, std::vector<std::string> query = {},
                    std::string payload = "") const {
    RdRequest r;
    r.method = method;
    r.path = path;
    r.query = std::move(query);
    r.payload = std::move(payload);
    if (!r.payload.empty()) r.content_format = kLinkFormat;
    r.key = key_;
    r.session = 1;
    r.client = "192.0.2.9:40123";
    r.now = now_;
    r.now_ms = now_ * 1000;
    return r;
  }
  RdAnswer register_light(std::int64_t lifetime = 600) {
    return rd_->handle(
        request(Method::post, "rd", {"ep=" + kUrn, "lt=" + std::to_string(lifetime)}, kLinks));
  }

  std::string dir_;
  std::FILE* null_ = std::fopen("/dev/null", "w");
  Logger logger_{"test", LogFormat::json, LogLevel::error, null_};
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ResourceDirectory> rd_;
  Fingerprint key_ = Fingerprint::parse(std::string(64, 'a')).value();
  std::int64_t now_ = 1000;
};

TEST_F(ResourceDirectoryTest, ARegistrationIsMadeReadUpdatedAndRemoved) {
  RdAnswer made = register_light();
  EXPECT_EQ(made.code, coap_code::created);
  ASSERT_EQ(made.location_path.size(), 2u);
  EXPECT_EQ(made.location_path[0], "rd");
  const std::string location = made.location_path[0] + "/" + made.location_path[1];
  EXPECT_TRUE(made.effects.hold_session);
  EXPECT_EQ(made.effects.registered, kUrn);
  EXPECT_EQ(rd_->size(), 1u);
  auto device = registry_->device(kUrn);
  ASSERT_TRUE(device);
  EXPECT_EQ(device->registered_at, now_);

  RdAnswer read = rd_->handle(request(Method::get, location));
  EXPECT_EQ(read.code, coap_code::content);
  EXPECT_TRUE(read.block_wise);
  EXPECT_EQ(read.content_format, kLinkFormat);
  EXPECT_NE(read.body.find("</light>"), std::string::npos);

  now_ += 10;
  RdAnswer updated = rd_->handle(request(Method::post, location, {"lt=900"}));
  EXPECT_EQ(updated.code, coap_code::changed);
  EXPECT_TRUE(updated.effects.hold_session);
  EXPECT_EQ(updated.effects.observations_except, 1u);  // those on this session run on
  EXPECT_EQ(rd_->directory().find_location(location)->lifetime, 900);

  RdAnswer removed = rd_->handle(request(Method::del, location));
  EXPECT_EQ(removed.code, coap_code::deleted);
  ASSERT_EQ(removed.effects.release_sessions.size(), 1u);
  EXPECT_TRUE(removed.effects.release_sessions[0] == key_);
  EXPECT_EQ(removed.effects.endpoints_gone, std::vector<std::string>{kUrn});
  EXPECT_EQ(rd_->handle(request(Method::get, location)).code, coap_code::not_found);
}

TEST_F(ResourceDirectoryTest, RefusalsCarryTheirCodeAndReason) {
  RdRequest anonymous = request(Method::post, "rd", {"ep=" + kUrn}, kLinks);
  anonymous.key.reset();
  EXPECT_EQ(rd_->handle(anonymous).code, coap_code::unauthorized);
  anonymous.path = "rd-lookup/ep";
  anonymous.method = Method::get;
  EXPECT_EQ(rd_->handle(anonymous).code, coap_code::unauthorized);

  RdAnswer no_ep = rd_->handle(request(Method::post, "rd", {"lt=60"}, kLinks));
  EXPECT_EQ(no_ep.code, coap_code::bad_request);
  EXPECT_NE(no_ep.body.find("ep"), std::string::npos) << no_ep.body;
  RdRequest json = request(Method::post, "rd", {"ep=" + kUrn}, kLinks);
  json.content_format = 50;
  EXPECT_EQ(rd_->handle(json).code, coap_code::unsupported_format);
  EXPECT_EQ(rd_->handle(request(Method::get, "rd")).code, coap_code::method_not_allowed);

  // Another key may neither change this registration nor take its name.
  RdAnswer made = register_light();
  const std::string location = made.location_path[0] + "/" + made.location_path[1];
  RdRequest stranger = request(Method::del, location);
  stranger.key = Fingerprint::parse(std::string(64, 'b')).value();
  EXPECT_EQ(rd_->handle(stranger).code, coap_code::forbidden);
  stranger.method = Method::post;
  stranger.path = "rd";
  stranger.query = {"ep=" + kUrn};
  stranger.payload = kLinks;
  stranger.content_format = kLinkFormat;
  EXPECT_EQ(rd_->handle(stranger).code, coap_code::forbidden);
  EXPECT_EQ(rd_->size(), 1u);
}

TEST_F(ResourceDirectoryTest, LinksSentInBlocksAreRegisteredWhole) {
  // Three blocks of 16 bytes (the last shorter).
  const std::string links = kLinks + ",</a>;rt=\"" + std::string(40, 'x') + "\"";
  RdAnswer answer;
  const std::uint32_t blocks = static_cast<std::uint32_t>((links.size() + 15) / 16);
  for (std::uint32_t num = 0; num < blocks; ++num) {
    RdRequest block = request(Method::post, "rd", {"ep=" + kUrn}, links.substr(num * 16, 16));
    block.block1 = coap_blocks::Block{num, num + 1 < blocks, 0};
    answer = rd_->handle(block);
    if (num + 1 < blocks) {
      EXPECT_EQ(answer.code, coap_code::continue_);
      ASSERT_TRUE(answer.block1);
      EXPECT_EQ(rd_->size(), 0u);  // never registered in part
    }
  }
  EXPECT_EQ(answer.code, coap_code::created) << answer.body;
  ASSERT_TRUE(answer.block1);  // the last block echoed
  const Registration* registration = rd_->directory().find_endpoint(kUrn);
  ASSERT_NE(registration, nullptr);
  EXPECT_EQ(registration->links.size(), 2u);

  RdRequest malformed = request(Method::post, "rd", {"ep=" + kUrn}, kLinks);
  malformed.block1_valid = false;
  EXPECT_EQ(rd_->handle(malformed).code, coap_code::bad_request);
}

TEST_F(ResourceDirectoryTest, ASimpleRegistrationWaitsForTheEndpointsLinks) {
  const RdRequest post = request(Method::post, ".well-known/rd", {"ep=" + kUrn});
  RdAnswer deferred = rd_->handle(post);
  ASSERT_TRUE(deferred.fetch_links);
  EXPECT_EQ(deferred.fetch_links->endpoint, kUrn);
  rd_->await_links(42, std::move(*deferred.fetch_links), post.now_ms);
  EXPECT_EQ(rd_->deferred(), 1u);
  const OutgoingRequest fetch = ResourceDirectory::well_known_core_request(9);
  EXPECT_EQ(fetch.path, "/.well-known/core");
  EXPECT_EQ(fetch.accept, kLinkFormat);

  DeviceReply links;
  links.code = coap_code::content;
  links.content_format = kLinkFormat;
  links.payload = kLinks;
  EXPECT_TRUE(rd_->links_fetched(42, links));
  RdAnswer made = rd_->finish_simple_registration(42, post);
  EXPECT_EQ(made.code, coap_code::changed);  // RFC 9176 section 5.1
  EXPECT_TRUE(made.location_path.empty());
  EXPECT_TRUE(made.effects.hold_session);
  EXPECT_TRUE(rd_->directory().find_endpoint(kUrn)->has_resource("/light"));
  EXPECT_FALSE(rd_->links_fetched(42, links));  // forgotten once answered

  // A Device that does not answer: 5.04, sent NON (libcoap may still retransmit the fetch).
  RdAnswer again = rd_->handle(post);
  ASSERT_TRUE(again.fetch_links);
  rd_->await_links(43, std::move(*again.fetch_links), post.now_ms);
  EXPECT_TRUE(rd_->links_fetched(
      43, failed_reply(DeviceReply::Failure::timeout, "the device did not answer")));
  RdAnswer silent = rd_->finish_simple_registration(43, post);
  EXPECT_EQ(silent.code, coap_code::gateway_timeout);
  EXPECT_TRUE(silent.non);
  // Links that are not link-format: 5.02.
  RdAnswer third = rd_->handle(post);
  rd_->await_links(44, std::move(*third.fetch_links), post.now_ms);
  links.content_format = 50;
  rd_->links_fetched(44, links);
  EXPECT_EQ(rd_->finish_simple_registration(44, post).code, coap_code::bad_gateway);
  // Deferred answers never triggered are forgotten.
  RdAnswer fourth = rd_->handle(post);
  rd_->await_links(45, std::move(*fourth.fetch_links), post.now_ms);
  rd_->expire(now_, post.now_ms + 31000, 30000);
  EXPECT_EQ(rd_->deferred(), 0u);
  EXPECT_EQ(rd_->finish_simple_registration(45, post).code, coap_code::internal_error);
}

TEST_F(ResourceDirectoryTest, LookupAnswersAreKeptWhileTheDirectoryIsUnchanged) {
  register_light();
  RdAnswer first = rd_->handle(request(Method::get, "rd-lookup/ep"));
  EXPECT_EQ(first.code, coap_code::content);
  ASSERT_NE(first.kept_body, nullptr);
  EXPECT_NE(first.kept_body->find(";ep=" + kUrn + ";"), std::string::npos) << *first.kept_body;
  EXPECT_FALSE(first.etag.empty());
  RdAnswer second = rd_->handle(request(Method::get, "rd-lookup/ep"));
  EXPECT_EQ(second.kept_body, first.kept_body);
  EXPECT_EQ(second.etag, first.etag);
  RdAnswer resources = rd_->handle(request(Method::get, "rd-lookup/res", {"rt=tte.light"}));
  ASSERT_NE(resources.kept_body, nullptr);
  EXPECT_NE(resources.kept_body->find("/light>"), std::string::npos);
  EXPECT_EQ(rd_->handle(request(Method::get, "rd-lookup/res", {"page=x"})).code,
            coap_code::bad_request);

  RdRequest core = request(Method::get, ".well-known/core", {"rt=core.rd"});
  core.key.reset();  // anyone may ask what the Controller serves
  RdAnswer listed = rd_->handle(core);
  EXPECT_EQ(listed.code, coap_code::content);
  EXPECT_EQ(listed.body, "</rd>;rt=core.rd;ct=40");
}

TEST_F(ResourceDirectoryTest, RegistrationsEndWithTheirLifetime) {
  register_light(60);
  EXPECT_TRUE(rd_->expire(now_ + 59, 0, 30000).release_sessions.empty());
  RdEffects ended = rd_->expire(now_ + 61, 0, 30000);
  ASSERT_EQ(ended.release_sessions.size(), 1u);
  EXPECT_EQ(ended.endpoints_gone, std::vector<std::string>{kUrn});
  EXPECT_EQ(rd_->size(), 0u);
  EXPECT_EQ(registry_->device(kUrn)->status(), DeviceStatus::expired);
}

}  // namespace
}  // namespace tte::controller
