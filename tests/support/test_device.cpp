// tte-test-device: a Device stand-in for the Controller's multi-process tests
// (libcoap's own client cannot serve resources). It joins a Controller over
// CoAP/DTLS with a factory bundle's key, pinning the Controller's fingerprint,
// registers in its Resource Directory, and serves a light, a switch or a
// sensor on the same session. Commands on stdin, one per line:
//   register | simple-register [D] | update [LT] | deregister | press | quit
// (simple-register: RFC 9176 section 5.1, an empty POST /.well-known/rd, in
// sector D if given; the Controller then reads this Device's /.well-known/core.)
// Events on stdout, one JSON object per line:
//   {"event":"ready"} {"event":"registered","location":"/rd/1"}
//   {"event":"request","method":"PUT",...}
// The real Device (device-fw, tte-device) supersedes it for end-to-end use.
#include <arpa/inet.h>
#include <coap3/coap.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tte/host/fingerprint.hpp"
#include "tte/host/status.hpp"
#include "tte/ip_address.hpp"
#include "tte/platform/coap_options.hpp"

namespace {

using Json = nlohmann::ordered_json;

struct Device {
  std::string urn;
  std::string key_pem, cert_pem;
  tte::Fingerprint controller_fingerprint;
  std::string profile = "light";
  long lifetime = 60;
  bool renew = false;
  bool light_on = false;
  bool switch_on = false;
  std::string location;  // "rd/1"
  std::chrono::steady_clock::time_point renew_at{};
  coap_session_t* session = nullptr;
  coap_resource_t* observable = nullptr;
  bool pinned_ok = false;
  bool simple_waiting = false;  // a simple registration is out: its answer comes separately
} g;

void emit(Json event) {
  std::cout << event.dump() << std::endl;
}

// libcoap 4.3.1 calls neither additional_tls_setup_call_back for a client nor
// validate_cn_call_back for a self-signed peer: the Controller's key is checked
// once the handshake is done, before anything is sent.
bool controller_key_pinned(coap_session_t* session) {
  coap_tls_library_t library;
  SSL* ssl = static_cast<SSL*>(coap_session_get_tls(session, &library));
  X509* peer = ssl ? SSL_get1_peer_certificate(ssl) : nullptr;
  if (!peer) return false;
  auto fingerprint = tte::fingerprint_of_x509(peer);
  X509_free(peer);
  g.pinned_ok = fingerprint.ok() && fingerprint.value() == g.controller_fingerprint;
  if (!g.pinned_ok) {
    emit({{"event", "refused_controller"},
          {"fingerprint", fingerprint.ok() ? std::string(fingerprint->to_string().view()) : "?"}});
  }
  return g.pinned_ok;
}

void add_text(coap_pdu_t* response, int code, const std::string& text) {
  coap_pdu_set_code(response, static_cast<coap_pdu_code_t>(code));
  std::uint8_t buffer[4];
  coap_add_option(response, COAP_OPTION_CONTENT_FORMAT,
                  coap_encode_var_safe(buffer, sizeof buffer, 0), buffer);
  coap_add_data(response, text.size(), reinterpret_cast<const uint8_t*>(text.data()));
}

std::string payload_of(const coap_pdu_t* pdu) {
  size_t length = 0;
  const uint8_t* data = nullptr;
  if (!coap_get_data(pdu, &length, &data) || !data) return {};
  return std::string(reinterpret_cast<const char*>(data), length);
}

void on_get(coap_resource_t* resource, coap_session_t*, const coap_pdu_t*, const coap_string_t*,
            coap_pdu_t* response) {
  std::string path(reinterpret_cast<const char*>(coap_resource_get_uri_path(resource)->s),
                   coap_resource_get_uri_path(resource)->length);
  std::string value = path == "light"    ? (g.light_on ? "on" : "off")
                      : path == "switch" ? (g.switch_on ? "on" : "off")
                                         : "21.5";
  emit({{"event", "request"}, {"method", "GET"}, {"path", "/" + path}});
  add_text(response, COAP_RESPONSE_CODE(205), value);
}

void on_put_light(coap_resource_t*, coap_session_t*, const coap_pdu_t* request,
                  const coap_string_t*, coap_pdu_t* response) {
  std::string value = payload_of(request);
  emit({{"event", "request"}, {"method", "PUT"}, {"path", "/light"}, {"payload", value}});
  if (value != "on" && value != "off")
    return add_text(response, COAP_RESPONSE_CODE(400), "on or off");
  g.light_on = value == "on";
  emit({{"event", "light"}, {"on", g.light_on}});
  coap_pdu_set_code(response, COAP_RESPONSE_CODE_CHANGED);
}

coap_response_t on_response(coap_session_t*, const coap_pdu_t* sent, const coap_pdu_t* received,
                            const coap_mid_t) {
  const int code = coap_pdu_get_code(received);
  const std::string code_text = tte::coap_code_text(code);
  const int method = sent ? coap_pdu_get_code(sent) : 0;
  if (g.simple_waiting) {  // a separate answer: libcoap no longer holds the request sent
    g.simple_waiting = false;
    emit({{"event", "simple_registered"},
          {"code", code_text},
          {"diagnostic", code >= 128 ? payload_of(received) : ""}});
    return COAP_RESPONSE_OK;
  }
  if (method == COAP_REQUEST_CODE_POST && g.location.empty()) {
    if (code == COAP_RESPONSE_CODE(201)) {
      coap_opt_iterator_t iterator;
      coap_opt_filter_t filter;
      coap_option_filter_clear(&filter);
      coap_option_filter_set(&filter, COAP_OPTION_LOCATION_PATH);
      coap_option_iterator_init(received, &iterator, &filter);
      std::string location;
      while (coap_opt_t* option = coap_option_next(&iterator)) {
        location += (location.empty() ? "" : "/") +
                    std::string(reinterpret_cast<const char*>(coap_opt_value(option)),
                                coap_opt_length(option));
      }
      g.location = location;
      g.renew_at = std::chrono::steady_clock::now() + std::chrono::seconds(g.lifetime * 3 / 4);
      emit({{"event", "registered"}, {"location", "/" + location}, {"code", code_text}});
    } else {
      emit({{"event", "register_failed"},
            {"code", code_text},
            {"diagnostic", payload_of(received)}});
    }
  } else if (method == COAP_REQUEST_CODE_POST) {
    if (code == COAP_RESPONSE_CODE(404)) g.location.clear();  // gone: register again
    g.renew_at = std::chrono::steady_clock::now() + std::chrono::seconds(g.lifetime * 3 / 4);
    emit({{"event", "updated"}, {"code", code_text}});
  } else if (method == COAP_REQUEST_CODE_DELETE) {
    g.location.clear();
    emit({{"event", "deregistered"}, {"code", code_text}});
  }
  return COAP_RESPONSE_OK;
}

void on_nack(coap_session_t*, const coap_pdu_t*, const coap_nack_reason_t reason,
             const coap_mid_t) {
  emit({{"event", "nack"}, {"reason", static_cast<int>(reason)}});
}

int on_event(coap_session_t* session, const coap_event_t event) {
  if (event == COAP_EVENT_DTLS_CONNECTED) {
    if (!controller_key_pinned(session)) std::_Exit(3);
    emit({{"event", "connected"}});
  }
  if (event == COAP_EVENT_DTLS_CLOSED || event == COAP_EVENT_DTLS_ERROR)
    emit({{"event", "disconnected"}});
  return 0;
}

void send_request(coap_pdu_code_t method, const std::vector<std::string>& path,
                  const std::vector<std::string>& query, const std::string& payload,
                  bool link_format) {
  coap_pdu_t* pdu = coap_pdu_init(COAP_MESSAGE_CON, method, coap_new_message_id(g.session),
                                  coap_session_max_pdu_size(g.session));
  std::uint8_t token[4];
  coap_prng(token, sizeof token);
  coap_add_token(pdu, sizeof token, token);
  for (const auto& segment : path) {
    coap_add_option(pdu, COAP_OPTION_URI_PATH, segment.size(),
                    reinterpret_cast<const uint8_t*>(segment.data()));
  }
  std::uint8_t buffer[4];
  if (link_format) {
    coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
                    coap_encode_var_safe(buffer, sizeof buffer, 40), buffer);
  }
  for (const auto& q : query) {
    coap_add_option(pdu, COAP_OPTION_URI_QUERY, q.size(),
                    reinterpret_cast<const uint8_t*>(q.data()));
  }
  if (!payload.empty())
    coap_add_data(pdu, payload.size(), reinterpret_cast<const uint8_t*>(payload.data()));
  coap_send(g.session, pdu);
}

std::string links() {
  if (g.profile == "light") return "</light>;rt=tte.light;if=core.a";
  if (g.profile == "switch") return "</switch>;rt=tte.switch;if=core.s;obs";
  return "</temp>;rt=tte.temp;if=core.s;obs";
}

void register_now() {
  g.location.clear();
  send_request(COAP_REQUEST_CODE_POST, {"rd"}, {"ep=" + g.urn, "lt=" + std::to_string(g.lifetime)},
               links(), true);
}

void command(const std::string& line) {
  std::istringstream words(line);
  std::string verb;
  words >> verb;
  if (verb == "register") {
    register_now();
  } else if (verb == "simple-register") {
    std::vector<std::string> query{"ep=" + g.urn, "lt=" + std::to_string(g.lifetime)};
    std::string sector;
    if (words >> sector) query.push_back("d=" + sector);
    g.simple_waiting = true;
    send_request(COAP_REQUEST_CODE_POST, {".well-known", "rd"}, query, "", false);
  } else if (verb == "update") {
    std::vector<std::string> query;
    long lt = 0;
    if (words >> lt) {
      g.lifetime = lt;
      query.push_back("lt=" + std::to_string(lt));
    }
    std::vector<std::string> path{"rd", g.location.substr(g.location.find('/') + 1)};
    send_request(COAP_REQUEST_CODE_POST, path, query, "", false);
  } else if (verb == "deregister") {
    send_request(COAP_REQUEST_CODE_DELETE, {"rd", g.location.substr(g.location.find('/') + 1)}, {},
                 "", false);
  } else if (verb == "press") {
    g.switch_on = !g.switch_on;
    emit({{"event", "pressed"}, {"on", g.switch_on}});
    if (g.observable) coap_resource_notify_observers(g.observable, nullptr);
  } else if (verb == "quit") {
    std::exit(0);
  } else if (!verb.empty()) {
    emit({{"event", "unknown_command"}, {"command", verb}});
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string controller, bundle;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string name = argv[i], value = argv[i + 1];
    if (name == "--bundle")
      bundle = value;
    else if (name == "--controller")
      controller = value;
    else if (name == "--controller-fingerprint")
      g.controller_fingerprint = tte::Fingerprint::parse(value).value();
    else if (name == "--profile")
      g.profile = value;
    else if (name == "--lifetime")
      g.lifetime = std::stol(value);
    else if (name == "--renew")
      g.renew = value == "yes";
    else if (name == "--urn")
      g.urn = value;
    else {
      std::cerr << "usage: tte-test-device --bundle FILE --controller IP:PORT "
                   "--controller-fingerprint HEX "
                   "[--profile light|switch|sensor] [--lifetime S] [--renew yes|no] [--urn URN]\n";
      return 2;
    }
  }
  auto bundle_json = nlohmann::json::parse(read_file(bundle), nullptr, false);
  if (bundle_json.is_discarded()) {
    std::cerr << "tte-test-device: cannot read the bundle " << bundle << "\n";
    return 1;
  }
  if (g.urn.empty()) g.urn = bundle_json["urn"];
  g.key_pem = bundle_json["device"]["private_key_pem"];
  g.cert_pem = bundle_json["device"]["certificate_pem"];

  coap_startup();
  coap_set_log_level(LOG_ERR);
  coap_dtls_set_log_level(LOG_ERR);
  coap_context_t* context = coap_new_context(nullptr);
  coap_context_set_keepalive(context,
                             25);  // docs/protocol.md section 9: a ping after 25 s of silence
  coap_register_response_handler(context, on_response);
  coap_register_nack_handler(context, on_nack);
  coap_register_event_handler(context, on_event);

  coap_resource_t* resource = nullptr;
  if (g.profile == "light") {
    resource = coap_resource_init(coap_make_str_const("light"), 0);
    coap_add_attr(resource, coap_make_str_const("rt"), coap_make_str_const("tte.light"), 0);
    coap_add_attr(resource, coap_make_str_const("if"), coap_make_str_const("core.a"), 0);
    coap_register_request_handler(resource, COAP_REQUEST_GET, on_get);
    coap_register_request_handler(resource, COAP_REQUEST_PUT, on_put_light);
  } else {
    resource =
        coap_resource_init(coap_make_str_const(g.profile == "switch" ? "switch" : "temp"), 0);
    coap_add_attr(resource, coap_make_str_const("rt"),
                  coap_make_str_const(g.profile == "switch" ? "tte.switch" : "tte.temp"), 0);
    coap_add_attr(resource, coap_make_str_const("if"), coap_make_str_const("core.s"), 0);
    coap_register_request_handler(resource, COAP_REQUEST_GET, on_get);
    coap_resource_set_get_observable(resource, 1);
    g.observable = resource;
  }
  coap_add_resource(context, resource);

  auto address = tte::ControllerAddress::parse(controller);
  if (!address.ok()) {
    std::cerr << "tte-test-device: --controller must be IP:PORT\n";
    return 2;
  }
  coap_address_t server;
  coap_address_init(&server);
  std::string ip(address->ip.to_string().view());
  if (inet_pton(AF_INET, ip.c_str(), &server.addr.sin.sin_addr) == 1) {
    server.addr.sin.sin_family = AF_INET;
    server.addr.sin.sin_port = htons(address->port);
    server.size = sizeof server.addr.sin;
  } else {
    inet_pton(AF_INET6, ip.c_str(), &server.addr.sin6.sin6_addr);
    server.addr.sin6.sin6_family = AF_INET6;
    server.addr.sin6.sin6_port = htons(address->port);
    server.size = sizeof server.addr.sin6;
  }
  coap_dtls_pki_t pki = tte::coap::pinned_peer_pki();
  pki.pki_key.key_type = COAP_PKI_KEY_PEM_BUF;
  pki.pki_key.key.pem_buf.public_cert = reinterpret_cast<const uint8_t*>(g.cert_pem.c_str());
  pki.pki_key.key.pem_buf.public_cert_len = g.cert_pem.size() + 1;
  pki.pki_key.key.pem_buf.private_key = reinterpret_cast<const uint8_t*>(g.key_pem.c_str());
  pki.pki_key.key.pem_buf.private_key_len = g.key_pem.size() + 1;
  g.session = coap_new_client_session_pki(context, nullptr, &server, COAP_PROTO_DTLS, &pki);
  if (!g.session) {
    std::cerr << "tte-test-device: cannot create the DTLS session\n";
    return 1;
  }
  emit({{"event", "ready"}, {"urn", g.urn}});

  std::string pending_input;
  while (true) {
    pollfd input{0, POLLIN, 0};
    if (::poll(&input, 1, 0) > 0) {
      char buffer[512];
      ssize_t n = ::read(0, buffer, sizeof buffer);
      if (n <= 0) break;  // stdin closed: stop
      pending_input.append(buffer, static_cast<std::size_t>(n));
      std::size_t newline;
      while ((newline = pending_input.find('\n')) != std::string::npos) {
        command(pending_input.substr(0, newline));
        pending_input.erase(0, newline + 1);
      }
    }
    if (g.renew && !g.location.empty() && std::chrono::steady_clock::now() >= g.renew_at) {
      g.renew_at = std::chrono::steady_clock::now() + std::chrono::seconds(g.lifetime * 3 / 4);
      command("update");
    }
    coap_io_process(context, 20);
  }
  coap_session_release(g.session);
  coap_free_context(context);
  coap_cleanup();
  return 0;
}
