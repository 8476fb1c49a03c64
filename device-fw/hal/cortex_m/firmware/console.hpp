// The Device's console: UART0 of the MPS2 (a CMSDK APB UART at 0x40004000; QEMU's
// `-serial stdio`, the board's USB serial port), and the JSON lines written to
// it. What a Device reports goes out as one JSON object per line, the same
// events tte-device prints; what comes in is a line-based command (`press`,
// `long-press`), the console's stand-in for the board's button.
#ifndef TTE_DEVICE_MPS2_CONSOLE_HPP
#define TTE_DEVICE_MPS2_CONSOLE_HPP

#include <cstddef>
#include <cstdint>

namespace tte::device::mps2 {

class Console {
 public:
  void start();
  void write(const char* text, std::size_t size);
  // The next complete input line (without its newline), or null. Lines longer
  // than the buffer are dropped whole.
  const char* read_line();

 private:
  char line_[64] = {};
  std::size_t length_ = 0;
  bool overflow_ = false;
};

// One JSON object, built in place and written as a line. Field names are
// literals; string values are escaped. What does not fit is cut at a field.
class JsonLine {
 public:
  explicit JsonLine(std::uint64_t t);
  JsonLine& field(const char* name, const char* value);
  JsonLine& field(const char* name, std::uint64_t value);
  JsonLine& field(const char* name, bool value);
  JsonLine& hex(const char* name, const std::uint8_t* bytes, std::size_t size);
  void write_to(Console& console);

 private:
  bool open_field(const char* name);
  bool append(const char* text, std::size_t size);
  bool append(const char* text);
  bool append_escaped(const char* text);

  char buffer_[384];
  std::size_t size_ = 0;
  std::size_t committed_ = 0;  // the end of the last complete field
};

Console& console();

}  // namespace tte::device::mps2

#endif  // TTE_DEVICE_MPS2_CONSOLE_HPP
