// docs/protocol.md takes its examples from proto/vectors: this test fails when
// an example in the document and its vector drift apart.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

namespace {

using Json = nlohmann::ordered_json;  // keeps the members in the vector file's order

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

Json vectors(const char* file) {
  return Json::parse(read(std::string(TTE_PROTO_DIR) + "/vectors/" + file));
}

class ProtocolDocument : public ::testing::Test {
 protected:
  void expect_in_document(const std::string& example) {
    EXPECT_NE(document_.find(example), std::string::npos)
        << "docs/protocol.md no longer shows this vector:\n"
        << example;
  }
  const std::string document_ = read(std::string(TTE_DOCS_DIR) + "/protocol.md");
};

TEST_F(ProtocolDocument, ShowsTheDraftExampleInEveryEncoding) {
  Json example = vectors("draft_example.json");
  expect_in_document(example["enrollment_url"].get<std::string>());
  std::string draft_text = example["draft_text_url"].get<std::string>();
  expect_in_document(draft_text.substr(draft_text.find("otp=")));
  expect_in_document(example["manual_code"].get<std::string>());
  expect_in_document(example["led_frame"].get<std::string>());
  std::string levels = vectors("led_frame.json")["frames"][0]["levels_from_off"].get<std::string>();
  expect_in_document(levels.substr(0, 32));
}

TEST_F(ProtocolDocument, ShowsTheEnrollmentAnswer) {
  Json answer = vectors("enrollment_answer.json")["valid"][0];
  expect_in_document(answer["cbor"].get<std::string>());
  expect_in_document(answer["json"].dump());
}

TEST_F(ProtocolDocument, ShowsTheJsonMessages) {
  Json messages = vectors("messages.json");
  expect_in_document(messages["state_object"][1]["json"].dump());
  expect_in_document(messages["problem"][0]["json"].dump());
  expect_in_document(messages["device_notice"][0]["json"].dump());
  Json claim = messages["claim_request"][1];
  expect_in_document("POST /.well-known/tte?" + claim["query"].get<std::string>());
  expect_in_document(claim["body"].get<std::string>());
  expect_in_document("POST /.well-known/tte?" + claim["canonical_query"].get<std::string>());
}

TEST_F(ProtocolDocument, ShowsTheCryptoVectors) {
  Json crypto = vectors("crypto.json");
  expect_in_document(crypto["otp_digest"][0]["digest"].get<std::string>());
  expect_in_document(crypto["box_otp"][0]["otp"].get<std::string>());
  expect_in_document(crypto["keys"][0]["fingerprint"].get<std::string>());
  expect_in_document(vectors("enrollment_url.json")["box_url"][0]["canonical"].get<std::string>());
}

}  // namespace
