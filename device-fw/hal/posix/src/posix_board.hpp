// The Device's HAL on Linux: the simulator tte-device. NV in a file, the
// transport on libcoap's OpenSSL flavour (one context for many simulated
// Devices, each with its own DTLS sessions and keys), the LED and button in
// memory (the simulator reports them), a simulated thermometer.
#ifndef TTE_DEVICE_POSIX_BOARD_HPP
#define TTE_DEVICE_POSIX_BOARD_HPP

#include <coap3/coap.h>
#include <openssl/x509.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tte/device/device.hpp"
#include "tte/device/transport_report.hpp"

namespace tte::device::posix {

// The NV record in a file (created 0600, 256 bytes of 0xff: erased flash).
// Each write is pwrite + fdatasync, so a crash leaves what reached the disk.
class FileStorage final : public Storage {
 public:
  explicit FileStorage(std::string path);  // throws std::runtime_error
  ~FileStorage();
  bool read(std::size_t offset, MutableByteView out) override;
  bool write(std::size_t offset, ByteView bytes) override;

 private:
  std::string path_;
  int fd_ = -1;
};

class MemoryLed final : public Led {
 public:
  void set(bool on) override { on_ = on; }
  bool on() const { return on_; }

 private:
  bool on_ = false;
};

class RandomEntropy final : public Entropy {
 public:
  std::uint32_t next() override { return static_cast<std::uint32_t>(random_()); }

 private:
  std::mt19937 random_{std::random_device{}()};
};

// 21.5 degrees, drifting by up to 1.5 degrees over ten minutes.
class SimulatedThermometer final : public Thermometer {
 public:
  explicit SimulatedThermometer(std::function<Millis()> clock) : clock_(std::move(clock)) {}
  std::int32_t centi_celsius() override;

 private:
  std::function<Millis()> clock_;
};

// A certificate Device's key pair (PEM); a PSK Device has none (both empty).
struct DeviceKeys {
  std::string private_key_pem, certificate_pem;
  bool has_key_pair() const { return !private_key_pem.empty() && !certificate_pem.empty(); }
};

class CoapNetwork;

// One simulated Device's transport: its DTLS sessions and requests.
class CoapTransport final : public Transport {
 public:
  CoapTransport(CoapNetwork& network, DeviceKeys keys);
  ~CoapTransport();
  void attach(Device& device) { device_ = &device; }

  void ask_mothership(const ControllerAddress& mothership, const SessionKeys& keys,
                      const char* urn) override;
  void open_controller(const ControllerAddress& controller, const SessionKeys& keys,
                       const char* urn) override;
  void register_endpoint(const char* urn, std::uint32_t lifetime, const char* links) override;
  void renew_registration(const char* location) override;
  void close() override;
  void notify_observers(const char* path) override;
  // A handshake or request older than the exchange deadline is given up:
  // its session closed and reported as no answer (the Device then backs off).
  void check_deadline(Millis now);
  void set_exchange_timeout(Millis timeout) { exchange_timeout_ = timeout; }

 private:
  friend class CoapNetwork;
  using Purpose = SessionPurpose;
  using Pending = PendingRequest;

  coap_session_t* open(const ControllerAddress& peer, const SessionKeys& keys, const char* urn,
                       Purpose purpose);
  void on_response(const coap_pdu_t* received);
  void on_failure(bool wrong_key);
  void on_connected();
  bool peer_matches_pin() const;
  void send_query();

  CoapNetwork& network_;
  DeviceKeys keys_;
  Device* device_ = nullptr;
  coap_session_t* session_ = nullptr;
  Purpose purpose_ = Purpose::none;
  Pending pending_ = Pending::none;
  Fingerprint pin_;
  bool psk_session_ = false;  // DTLS-PSK: the PSK proves the peer, no pin
  std::string psk_identity_;  // libcoap keeps pointers to these until the handshake ends
  std::array<std::uint8_t, SessionKeys::kPskSize> psk_{};
  bool pin_refused_ = false;
  bool connected_ = false;
  bool query_waiting_ = false;  // message 9 goes out once the MotherShip's key is checked
  std::string query_;           // the URN asked about
  Millis exchange_timeout_ = 30000;
  Millis waiting_since_ = 0;  // when the handshake or the request in flight began
};

// The libcoap context all simulated Devices share (they share a profile), and
// the profile's resource.
class CoapNetwork {
 public:
  CoapNetwork(std::function<Millis()> clock, Profile profile);
  ~CoapNetwork();
  coap_context_t* context() const { return context_; }
  // Runs libcoap for at most timeout_ms.
  void process(unsigned timeout_ms);
  Millis now() const { return clock_(); }
  void notify(const char* path);

 private:
  friend class CoapTransport;
  static coap_response_t on_response(coap_session_t* session, const coap_pdu_t* sent,
                                     const coap_pdu_t* received, coap_mid_t id);
  static void on_nack(coap_session_t* session, const coap_pdu_t* sent, coap_nack_reason_t reason,
                      coap_mid_t id);
  static int on_event(coap_session_t* session, coap_event_t event);
  static void on_request(coap_resource_t* resource, coap_session_t* session,
                         const coap_pdu_t* request, const coap_string_t* query,
                         coap_pdu_t* response);
  std::vector<CoapTransport*> refused_;  // peers that showed the wrong key, failed after process()

  coap_context_t* context_ = nullptr;
  std::function<Millis()> clock_;
  coap_resource_t* resource_ = nullptr;
};

}  // namespace tte::device::posix

#endif  // TTE_DEVICE_POSIX_BOARD_HPP
