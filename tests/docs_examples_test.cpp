// docs/protocol.md takes its examples from proto/vectors: this test fails when
// an example in the document and its vector drift apart. And every endpoint
// and query parameter docs/protocol.md and docs/controller.md name is either
// exercised by a test or marked "not yet served" where it is named.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
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

// What the tests hold: every test source in the repository, as one text.
std::string test_sources() {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(TTE_DOCS_DIR).parent_path();
  std::string all;
  for (const char* top :
       {"tests", "common", "controller", "mothership", "introducer", "device-fw"}) {
    if (!fs::exists(root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      if (!entry.is_regular_file()) continue;
      const std::string name = entry.path().filename().string();
      const std::string where = entry.path().string();
      const bool test_file = name.find("_test.") != std::string::npos ||
                             where.find("/tests/") != std::string::npos ||
                             where.find("/test/") != std::string::npos;
      const std::string ext = entry.path().extension().string();
      if (test_file && (ext == ".cpp" || ext == ".hpp" || ext == ".sh")) all += read(where) + "\n";
    }
  }
  return all;
}

struct Named {
  std::string what;                  // "GET /rd-lookup/ep" or "parameter page="
  std::vector<std::string> needles;  // all must appear in some test
};

// `GET /rd-lookup/ep?ep=..`, `GET, POST /api/v1/bindings` or `/health` as
// (path, query): a server path TTE serves, spaces only inside <placeholders>.
std::optional<std::pair<std::string, std::string>> endpoint_of(std::string code) {
  for (bool more = true; more;) {
    more = false;
    for (const char* method : {"GET", "POST", "PUT", "DELETE", "HEAD"}) {
      const std::string name = method;
      if (code.rfind(name + ", ", 0) == 0)
        code.erase(0, name.size() + 2), more = true;
      else if (code.rfind(name + " ", 0) == 0)
        code.erase(0, name.size() + 1), more = true;
    }
  }
  bool served = false;
  for (const char* top : {"/.well-known", "/rd", "/api", "/health", "/login"})
    served = served || code.rfind(top, 0) == 0;
  if (!served) return std::nullopt;
  int depth = 0;
  for (char c : code) {
    if (c == '<') ++depth;
    if (c == '>') --depth;
    if (c == ' ' && depth == 0) return std::nullopt;
  }
  const std::size_t question = code.find('?');
  if (question == std::string::npos) return std::make_pair(code, std::string());
  return std::make_pair(code.substr(0, question), code.substr(question));
}

// The endpoints (`METHOD /path?query` or `/path`) and query parameters named
// in a document's code spans, outside paragraphs and table rows that say
// "not yet served".
std::vector<Named> named_in(const std::string& document) {
  std::vector<Named> named;
  std::istringstream lines(document);
  std::string line, block;
  std::vector<std::string> blocks;
  bool fenced = false;
  while (std::getline(lines, line)) {
    if (line.rfind("```", 0) == 0) fenced = !fenced;
    if (fenced) continue;
    const bool row = line.rfind("|", 0) == 0;
    if (row || line.empty()) {
      if (!block.empty()) blocks.push_back(block);
      block.clear();
      if (row) blocks.push_back(line);
      continue;
    }
    block += line + " ";
  }
  if (!block.empty()) blocks.push_back(block);
  for (const std::string& text : blocks) {
    if (text.find("not yet served") != std::string::npos) continue;
    for (std::size_t open = text.find('`'); open != std::string::npos;) {
      const std::size_t close = text.find('`', open + 1);
      if (close == std::string::npos) break;
      const std::string code = text.substr(open + 1, close - open - 1);
      open = text.find('`', close + 1);
      auto endpoint = endpoint_of(code);
      if (!endpoint) continue;
      const auto& [raw, query] = *endpoint;
      // A path's literal parts, split at placeholders such as <urn> or <n>.
      Named path{raw, {}};
      std::size_t start = 0;
      while (start < raw.size()) {
        std::size_t less = raw.find('<', start);
        std::string literal =
            raw.substr(start, less == std::string::npos ? std::string::npos : less - start);
        if (literal.size() > 1) path.needles.push_back(literal);
        if (less == std::string::npos) break;
        std::size_t greater = raw.find('>', less);
        start = greater == std::string::npos ? raw.size() : greater + 1;
      }
      if (!path.needles.empty()) named.push_back(path);
      // Parameters: a lower-case name after '?', '&' or '[', then '='.
      for (std::size_t i = 0; i < query.size(); ++i) {
        if (query[i] != '?' && query[i] != '&' && query[i] != '[') continue;
        std::size_t end = i + 1;
        while (end < query.size() && query[end] >= 'a' && query[end] <= 'z')
          ++end;
        if (end > i + 1 && end < query.size() && query[end] == '=') {
          const std::string name = query.substr(i + 1, end - i - 1);
          named.push_back({"parameter " + name + "= of " + raw, {name + "="}});
        }
      }
    }
  }
  return named;
}

TEST(DocumentedInterfaces, AreExercisedByATestOrMarkedNotYetServed) {
  const std::string tests = test_sources();
  ASSERT_GT(tests.size(), 100000u);
  std::set<std::string> missing;
  std::size_t checked = 0;
  for (const char* document : {"protocol.md", "controller.md"}) {
    for (const Named& item : named_in(read(std::string(TTE_DOCS_DIR) + "/" + document))) {
      ++checked;
      if (std::getenv("TTE_DOCS_LIST")) std::cerr << document << ": " << item.what << "\n";
      for (const std::string& needle : item.needles) {
        if (tests.find(needle) == std::string::npos)
          missing.insert(std::string(document) + ": " + item.what + " (no test names \"" + needle +
                         "\")");
      }
    }
  }
  EXPECT_GT(checked, 40u);  // the documents do name their interfaces
  for (const std::string& item : missing)
    ADD_FAILURE() << item;
}

}  // namespace
