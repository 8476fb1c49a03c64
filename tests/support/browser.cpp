#include "browser.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <stdexcept>
#include <utility>  // before Asio: Boost 1.74's headers use std::exchange

namespace tte::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

constexpr auto kTimeout = std::chrono::seconds(30);

}  // namespace

struct Browser::Connection {
  asio::io_context io;
  websocket::stream<beast::tcp_stream> ws{io};
};

bool Browser::available() {
  return run({"sh", "-c", "command -v chromium"}).exit_code == 0;
}

Browser::Browser(const TempDir& dir, BrowserOptions options) : options_(options) {
  // TMPDIR: Chromium puts its singleton socket directory there; inside the
  // test's directory it goes away with it instead of piling up in /tmp.
  std::string command =
      "TMPDIR=" + dir.path() +
      " exec chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync "
      "--disable-default-apps --disable-extensions --remote-debugging-port=0 "
      "--user-data-dir=" +
      dir.file("chromium-profile") + " ";
  if (!options.host_resolver_rules.empty()) {
    command += "--host-resolver-rules='" + options.host_resolver_rules + "' ";
  }
  if (!options.trusted_spki.empty()) {
    std::string list;
    for (const auto& spki : options.trusted_spki)
      list += (list.empty() ? "" : ",") + spki;
    command += "--ignore-certificate-errors-spki-list=" + list + " ";
  }
  command += "about:blank 2>&1";
  process_ = std::make_unique<Process>(std::vector<std::string>{"sh", "-c", command},
                                       dir.file("chromium.log"));
  std::string endpoint;
  while (endpoint.empty()) {
    std::string line = process_->read_line(60s);
    auto at = line.find("DevTools listening on ws://");
    if (at != std::string::npos)
      endpoint = line.substr(at + std::string("DevTools listening on ws://").size());
  }
  std::string host_port = endpoint.substr(0, endpoint.find('/'));
  std::string path = endpoint.substr(endpoint.find('/'));
  std::string host = host_port.substr(0, host_port.rfind(':'));
  std::string port = host_port.substr(host_port.rfind(':') + 1);

  connection_ = std::make_unique<Connection>();
  asio::ip::tcp::resolver resolver(connection_->io);
  beast::get_lowest_layer(connection_->ws).expires_after(kTimeout);
  beast::get_lowest_layer(connection_->ws).connect(resolver.resolve(host, port));
  connection_->ws.read_message_max(64 * 1024 * 1024);
  connection_->ws.handshake(host_port, path);

  attach_new_tab();
}

void Browser::attach_new_tab() {
  std::string target = call("Target.createTarget", {{"url", "about:blank"}})["targetId"];
  session_ = call("Target.attachToTarget", {{"targetId", target}, {"flatten", true}})["sessionId"];
  sessions_.push_back(session_);
  call("Page.enable");
  call("Runtime.enable");
  call("Emulation.setDeviceMetricsOverride", {{"width", options_.width},
                                              {"height", options_.height},
                                              {"deviceScaleFactor", 2},
                                              {"mobile", true}});
}

int Browser::open_tab() {
  attach_new_tab();
  return static_cast<int>(sessions_.size()) - 1;
}

void Browser::switch_to(int tab) {
  session_ = sessions_.at(static_cast<std::size_t>(tab));
  pending_events_.clear();
}

Browser::~Browser() {
  if (connection_) {
    beast::error_code ignored;
    connection_->ws.next_layer().socket().close(ignored);
  }
}

nlohmann::json Browser::read_message() {
  beast::flat_buffer buffer;
  beast::get_lowest_layer(connection_->ws).expires_after(kTimeout);
  connection_->ws.read(buffer);
  return nlohmann::json::parse(beast::buffers_to_string(buffer.data()));
}

nlohmann::json Browser::call(const std::string& method, nlohmann::json params) {
  int id = next_id_++;
  nlohmann::json message{{"id", id}, {"method", method}, {"params", params}};
  if (!session_.empty() && method.rfind("Target.", 0) != 0) message["sessionId"] = session_;
  beast::get_lowest_layer(connection_->ws).expires_after(kTimeout);
  connection_->ws.write(asio::buffer(message.dump()));
  while (true) {
    nlohmann::json reply = read_message();
    if (reply.contains("id") && reply["id"] == id) {
      if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
      return reply["result"];
    }
    if (reply.contains("method")) pending_events_.push_back(std::move(reply));
  }
}

void Browser::wait_for_event(const std::string& method) {
  auto matches = [&](const nlohmann::json& event) {
    return event["method"] == method && event.value("sessionId", "") == session_;
  };
  for (auto it = pending_events_.begin(); it != pending_events_.end(); ++it) {
    if (matches(*it)) {
      pending_events_.erase(pending_events_.begin(), it + 1);
      return;
    }
  }
  pending_events_.clear();
  while (true) {
    nlohmann::json message = read_message();
    if (message.contains("method") && matches(message)) return;
  }
}

void Browser::navigate(const std::string& url) {
  pending_events_.clear();
  nlohmann::json result = call("Page.navigate", {{"url", url}});
  if (result.contains("errorText"))
    throw std::runtime_error("navigate " + url + ": " + result["errorText"].dump());
  wait_for_event("Page.loadEventFired");
}

nlohmann::json Browser::evaluate(const std::string& expression) {
  nlohmann::json result =
      call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}});
  if (result.contains("exceptionDetails")) {
    throw std::runtime_error("JavaScript failed: " + result["exceptionDetails"].dump());
  }
  return result["result"].value("value", nlohmann::json());
}

void Browser::act_and_wait_for_load(const std::string& action) {
  pending_events_.clear();
  evaluate(action);
  wait_for_event("Page.loadEventFired");
}

Overflow Browser::overflow() {
  nlohmann::json seen = evaluate(R"js((() => {
    const width = window.innerWidth;
    const past = [...document.querySelectorAll('body *')].filter(e => {
      const box = e.getBoundingClientRect();
      return box.right > width + 0.5 || box.width > width + 0.5;
    });
    return {viewport: width, scroll: document.documentElement.scrollWidth,
            elements: past.map(e => {
              const box = e.getBoundingClientRect();
              return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ': ' +
                     Math.round(box.width) + ' px wide, right edge at ' + Math.round(box.right);
            })};
  })())js");
  Overflow overflow;
  overflow.viewport_width = seen.at("viewport").get<int>();
  overflow.scroll_width = seen.at("scroll").get<int>();
  overflow.elements = seen.at("elements").get<std::vector<std::string>>();
  return overflow;
}

std::string Browser::screenshot_png() {
  std::string base64 = call("Page.captureScreenshot", {{"format", "png"}})["data"];
  std::string png(base64.size(), '\0');
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(png.data()),
                               reinterpret_cast<const unsigned char*>(base64.data()),
                               static_cast<int>(base64.size()));
  std::size_t padding =
      base64.size() >= 2 ? (base64.end()[-1] == '=') + (base64.end()[-2] == '=') : 0;
  png.resize(static_cast<std::size_t>(length) - padding);
  return png;
}

std::string spki_sha256_base64(const std::string& certificate_pem_file) {
  std::FILE* file = std::fopen(certificate_pem_file.c_str(), "r");
  if (!file) throw std::runtime_error("cannot read " + certificate_pem_file);
  X509* cert = PEM_read_X509(file, nullptr, nullptr, nullptr);
  std::fclose(file);
  if (!cert) throw std::runtime_error("not a certificate: " + certificate_pem_file);
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
  unsigned char digest[32];
  unsigned int digest_length = 0;
  EVP_Digest(der, static_cast<std::size_t>(length), digest, &digest_length, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  X509_free(cert);
  unsigned char out[64];
  int written = EVP_EncodeBlock(out, digest, 32);
  return std::string(reinterpret_cast<char*>(out), static_cast<std::size_t>(written));
}

}  // namespace tte::test
