// Writes seed corpora for the fuzzers from proto/vectors:
//   make_fuzz_seeds <proto/vectors dir> <corpus dir>
// creates <corpus dir>/<fuzzer>/<name> files, one input each.
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

Json load(const fs::path& dir, const char* file) {
  std::ifstream in(dir / file);
  if (!in) throw std::runtime_error("cannot read " + (dir / file).string());
  return Json::parse(in);
}

std::string from_hex(const std::string& hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

void write_seeds(const fs::path& corpus, const char* fuzzer,
                 const std::vector<std::string>& seeds) {
  fs::path dir = corpus / fuzzer;
  fs::create_directories(dir);
  for (const auto& seed : seeds) {
    std::ostringstream name;
    name << "seed-" << std::hex << std::hash<std::string>{}(seed);
    std::ofstream(dir / name.str(), std::ios::binary) << seed;
  }
  std::cout << "  " << fuzzer << ": " << seeds.size() << " seeds\n";
}

void add_inputs(std::vector<std::string>& out, const Json& cases, const char* member = "input") {
  for (const auto& c : cases)
    out.push_back(c[member].get<std::string>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: make_fuzz_seeds <proto/vectors dir> <corpus dir>\n";
    return 2;
  }
  try {
    fs::path vectors = argv[1], corpus = argv[2];
    Json ids = load(vectors, "identifiers.json");
    Json urls = load(vectors, "enrollment_url.json");
    Json codes = load(vectors, "manual_code.json");
    Json answers = load(vectors, "enrollment_answer.json");
    Json messages = load(vectors, "messages.json");
    Json images = load(vectors, "provisioning_image.json");

    std::vector<std::string> url, urn, manual, cbor, ip, message;
    add_inputs(url, urls["enrollment_url"]);
    add_inputs(url, urls["box_url"]);
    add_inputs(urn, ids["urn"]);
    add_inputs(manual, codes["decode"]);
    add_inputs(manual, codes["encode"], "code");
    add_inputs(manual, codes["box_decode"]);
    add_inputs(manual, codes["box_encode"], "code");
    for (const char* group : {"valid", "decode_only", "invalid"}) {
      for (const auto& c : answers[group])
        cbor.push_back(from_hex(c["cbor"].get<std::string>()));
    }
    add_inputs(ip, ids["ip_address"]);
    add_inputs(ip, ids["controller_address"]);
    for (const auto& c : messages["state_object"])
      message.push_back(c["json"].dump());
    for (const auto& c : messages["device_notice"])
      message.push_back(c["json"].dump());
    for (const auto& c : messages["problem"])
      message.push_back(c["json"].dump());
    for (const auto& c : answers["valid"])
      message.push_back(c["json"].dump());
    for (const auto& c : messages["claim_request"]) {
      message.push_back(c["query"].get<std::string>() + "\n" + c["body"].get<std::string>());
    }
    write_seeds(corpus, "url_fuzz", url);
    write_seeds(corpus, "urn_fuzz", urn);
    write_seeds(corpus, "manual_code_fuzz", manual);
    write_seeds(corpus, "cbor_fuzz", cbor);
    // device_fuzz: an 84-byte NV slot's worth of bytes, then [kind][code][max-age x4][payload].
    std::vector<std::string> device;
    for (const std::string& answer : cbor) {
      std::string reply = std::string("\x02\x45\x00\x00\x00\x3c", 6) + answer + answer;
      device.push_back(std::string(84, '\xff') + reply);
      device.push_back(reply);
    }
    device.push_back(std::string("\x02\xa3\x00\x00\x02\x58/light", 12));   // 5.03, Max-Age 600
    device.push_back(std::string("\x03\x83\x00\x00\x00\x3c/switch", 13));  // 4.03
    write_seeds(corpus, "device_fuzz", device);
    write_seeds(corpus, "ip_address_fuzz", ip);
    write_seeds(corpus, "messages_fuzz", message);
    write_seeds(
        corpus, "mothership_fuzz",
        {"urn=urn:dev:ops:32473-Fuzz-1", "<urn=urn:dev:ops:32473-Fuzz-1&urn=x",
         "{\"devid\":\"abcdef01\",\"urn\":\"urn:dev:ops:32473-Light-0001\",\"fingerprint\":\"" +
             std::string(64, 'a') + "\",\"otp\":\"123456789abcdef0\"}",
         "{\"devid\":\"00000005\",\"urn\":\"urn:dev:ops:32473-Light-0005\",\"psk\":\"" +
             std::string(32, 'b') + "\",\"otp\":\"123456789abcdef0\"}",
         "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"});
    // introducer_fuzz: device texts, answers (two status bytes, then the body), a site list.
    std::vector<std::string> introducer = url;
    introducer.insert(introducer.end(), manual.begin(), manual.end());
    for (const auto& c : messages["state_object"])
      introducer.push_back(std::string("\x00\x64", 2) + c["json"].dump());  // 200
    for (const auto& c : messages["problem"])
      introducer.push_back(std::string("\x01\x35", 2) + c["json"].dump());  // 409
    introducer.push_back(
        "{\"sites\":{\"bld30\":{\"controller\":\"192.0.2.7:5684\",\"controller_fingerprint\":\"" +
        std::string(64, 'a') + "\",\"notify\":\"http://192.0.2.7:8080\",\"token\":\"t\"}}}");
    write_seeds(corpus, "introducer_fuzz", introducer);
    // controller_fuzz: link-format payloads, registrations ("query\npayload"), controller
    // codes, a batch of notices.
    Json batch{{"notices", Json::array()}};
    for (const auto& c : messages["device_notice"])
      batch["notices"].push_back(c["json"]);
    batch["notices"].push_back(7);
    write_seeds(
        corpus, "controller_fuzz",
        {batch.dump(), "</light>;rt=tte.light;if=core.a",
         "</switch>;rt=\"tte.switch\";obs,</temp>;ct=0;title=\"a, b\"",
         "ep=urn:dev:ops:32473-Light-0001&lt=60\n</light>;rt=tte.light;if=core.a",
         "ep=urn:dev:mac:0024beffabcdef01&lt=90000&d=bld30&base=coaps://[2001:db8::9]\n</temp>;obs",
         "lt=300\n",
         "tte:controller?c=192.0.2.7%3A5684&fp=" + std::string(64, 'a') +
             "&notify=http%3A%2F%2F192.0.2.7%3A8080&token=t"});
  } catch (const std::exception& e) {
    std::cerr << "make_fuzz_seeds: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
