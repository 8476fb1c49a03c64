// The Device's console: UART0 of the MPS2 (a CMSDK APB UART at 0x40004000; QEMU's
// `-serial stdio`, the board's USB serial port), and the JSON lines written to
// it. What a Device reports goes out as one JSON object per line, the same
// events tte-device prints; what comes in is a line-based command (`press`,
// `long-press`), the console's stand-in for the board's button. Input is taken
// by UART0's receive interrupt into a ring buffer (the UART holds one byte),
// and a line ends with CR (a terminal's Enter), LF or both.
#ifndef TTE_DEVICE_MPS2_CONSOLE_HPP
#define TTE_DEVICE_MPS2_CONSOLE_HPP

#include <cstddef>
#include <cstdint>

namespace tte::device::mps2 {

class Console {
 public:
  void start();
  void write(const char* text, std::size_t size);
  // The next complete input line (without its end), or null. Lines longer
  // than a command can be are dropped whole, as are lines when kLines wait.
  const char* read_line();
  // UART0's receive interrupt: lines are put together here, byte by byte as
  // they arrive, so that a flood of garbage costs nothing but the interrupt.
  void receive();

 private:
  static constexpr std::size_t kLine = 64, kLines = 4;  // kLines a power of two
  // Written by the interrupt: the lines, the line being received.
  char lines_[kLines][kLine] = {};
  volatile std::uint32_t lines_in_ = 0, lines_out_ = 0;
  char receiving_[kLine] = {};
  std::size_t length_ = 0;
  bool overlong_ = false;
  // Read by the main loop: the line handed out.
  char line_[kLine] = {};
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
