// What the Device reports, as JSON lines on the console: the core's events with
// the same fields tte-device prints ({"t":..,"urn":..,"event":"state",...}),
// and the board's own (boot, network, handshake, memory, stopped).
#ifndef TTE_DEVICE_MPS2_EVENTS_HPP
#define TTE_DEVICE_MPS2_EVENTS_HPP

#include "console.hpp"
#include "tte/device/device.hpp"

namespace tte::device::mps2 {

class Events final : public Observer {
 public:
  void set_urn(const char* urn) { urn_ = urn; }
  // A line with t, urn (once known) and event; the caller adds fields and writes it.
  JsonLine line(const char* event) const;
  void on_event(const Event& event) override;
  // The Device cannot go on (a bad provisioning image, no network hardware, ...).
  void stopped(const char* detail, const char* error = nullptr) const;
  // The heap's and the stack's use so far.
  void memory() const;

 private:
  const char* urn_ = nullptr;
};

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_EVENTS_HPP
