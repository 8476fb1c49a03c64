#include "events.hpp"

#include "clock.hpp"
#include "runtime.hpp"

namespace tte::device::mps2 {

JsonLine Events::line(const char* event) const {
  JsonLine line(clock().now());
  if (urn_) line.field("urn", urn_);
  line.field("event", event);
  return line;
}

void Events::on_event(const Event& event) {
  switch (event.kind) {
    case Event::Kind::state: {
      JsonLine out = line("state");
      out.field("state", state_name(event.state));
      if (event.detail && *event.detail) out.field("detail", event.detail);
      if (event.wait_ms) out.field("wait_ms", static_cast<std::uint64_t>(event.wait_ms));
      out.write_to(console());
      if (event.state == State::registered) memory();
      return;
    }
    case Event::Kind::stored: {
      JsonLine out = line("stored");
      if (event.controller) {
        out.field("controller", event.controller->address.to_string().c_str());
        out.field("fingerprint", event.controller->fingerprint.to_string().c_str());
      }
      out.write_to(console());
      return;
    }
    case Event::Kind::store_failed:
      line("store_failed").field("detail", event.detail).write_to(console());
      return;
    case Event::Kind::factory_reset:
      line("factory_reset").field("detail", event.detail).write_to(console());
      return;
    case Event::Kind::light:
      line("light").field("on", event.on).write_to(console());
      return;
    case Event::Kind::switch_:
      line("switch").field("on", event.on).write_to(console());
      return;
  }
}

void Events::stopped(const char* detail, const char* error) const {
  JsonLine out = line("stopped");
  out.field("detail", detail);
  if (error) out.field("error", error);
  out.write_to(console());
}

void Events::memory() const {
  const MemoryUse use = memory_use();
  line("memory")
      .field("static_ram", static_cast<std::uint64_t>(use.static_ram))
      .field("heap_peak", static_cast<std::uint64_t>(use.heap_peak))
      .field("heap_in_use", static_cast<std::uint64_t>(use.heap_in_use))
      .field("heap_limit", static_cast<std::uint64_t>(use.heap_limit))
      .field("stack_peak", static_cast<std::uint64_t>(use.stack_peak))
      .field("stack_limit", static_cast<std::uint64_t>(use.stack_limit))
      .write_to(console());
}

}  // namespace tte::device::mps2
