// The Device's hardware, as the enrollment core sees it. Each board provides
// these small interfaces (device-fw/hal/posix for Linux, device-fw/hal/cortex_m
// for the MPS2 board); the core calls them and never touches I/O itself.
//
// The transport is asynchronous, as it is on a microcontroller with lwIP and
// libcoap + mbedTLS: the core asks for something (open a DTLS session, send a
// request) and the board's network loop reports the outcome later through the
// Device's on_* methods (device.hpp). No call may block.
#ifndef TTE_DEVICE_HAL_HPP
#define TTE_DEVICE_HAL_HPP

#include <array>
#include <cstddef>
#include <cstdint>

#include "tte/identifiers.hpp"
#include "tte/ip_address.hpp"
#include "tte/span.hpp"

namespace tte::device {

using Millis = std::uint64_t;  // a monotonic clock; the core never needs the date

// Random numbers for the retry jitter (any source; need not be cryptographic).
class Entropy {
 public:
  virtual std::uint32_t next() = 0;

 protected:
  ~Entropy() = default;
};

// Byte-addressed non-volatile memory of at least NvRecord::kStorageSize bytes.
// write() may be cut short by a power failure at any byte: NvRecord copes.
class Storage {
 public:
  virtual bool read(std::size_t offset, MutableByteView out) = 0;
  virtual bool write(std::size_t offset, ByteView bytes) = 0;

 protected:
  ~Storage() = default;
};

class Led {
 public:
  virtual void set(bool on) = 0;

 protected:
  ~Led() = default;
};

// What the Device's sensor reads (the sensor profile), in hundredths of a degree.
class Thermometer {
 public:
  virtual std::int32_t centi_celsius() = 0;

 protected:
  ~Thermometer() = default;
};

// How a DTLS session proves both ends (docs/protocol.md §8, §13.3): the peer's
// certificate pinned by its key's fingerprint while the Device presents its own
// key (from the provisioning image); or DTLS-PSK, the PSK identity being the
// Device's URN, for a PSK Device with the MotherShip (its factory PSK) and for
// any Device whose Controller link has a PSK (message 10's key 4).
struct SessionKeys {
  static constexpr std::size_t kPskSize = 16;
  Fingerprint pin;       // certificate sessions: the peer's key
  bool use_psk = false;  // DTLS-PSK instead of certificates
  std::array<std::uint8_t, kPskSize> psk{};
};

// CoAP over DTLS. One session to the MotherShip or one to the Controller at a
// time.
class Transport {
 public:
  // Message 9 (draft §2, §3.1; docs/protocol.md §8): GET /.well-known/tte?urn=<urn>
  // (Accept: application/cbor) to the MotherShip. Outcome: Device::on_mothership_reply.
  virtual void ask_mothership(const ControllerAddress& mothership, const SessionKeys& keys,
                              const char* urn) = 0;
  // Opens the DTLS session to the Controller (urn: the PSK identity). Outcome:
  // Device::on_controller_session.
  virtual void open_controller(const ControllerAddress& controller, const SessionKeys& keys,
                               const char* urn) = 0;
  // Message 11 (draft §2; docs/protocol.md §9): RFC 9176 POST /rd?ep=<urn>&lt=<lifetime> with
  // the link-format payload, on the open session. Outcome: Device::on_registration.
  virtual void register_endpoint(const char* urn, std::uint32_t lifetime, const char* links) = 0;
  // POST /<location> (empty): renews the registration. Outcome: Device::on_renewal.
  virtual void renew_registration(const char* location) = 0;
  // Closes whatever session is open (no outcome reported).
  virtual void close() = 0;
  // Observers of `path` (on the Controller's session) get the resource's new value.
  virtual void notify_observers(const char* path) = 0;

 protected:
  ~Transport() = default;
};

}  // namespace tte::device

#endif  // TTE_DEVICE_HAL_HPP
