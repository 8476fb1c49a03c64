#include "console.hpp"

#include <cstring>

namespace tte::device::mps2 {
namespace {

// CMSDK APB UART registers (ARM DDI 0479, "APB UART").
constexpr std::uintptr_t kUart0 = 0x40004000;
volatile std::uint32_t& reg(std::uintptr_t offset) {
  return *reinterpret_cast<volatile std::uint32_t*>(kUart0 + offset);
}
constexpr std::uintptr_t kData = 0x00, kState = 0x04, kCtrl = 0x08, kIntClear = 0x0c,
                         kBaudDiv = 0x10;
constexpr std::uint32_t kTxFull = 1u << 0, kRxFull = 1u << 1;
constexpr std::uint32_t kTxEnable = 1u << 0, kRxEnable = 1u << 1, kRxInterrupt = 1u << 3;
constexpr std::uint32_t kRxInterruptClear = 1u << 1;  // write one to clear
constexpr std::uint32_t kSystemClock = 25'000'000, kBaud = 115'200;
// NVIC: IRQ 0 is UART0's receiver on the MPS2-AN385.
volatile std::uint32_t& nvic_iser0() {
  return *reinterpret_cast<volatile std::uint32_t*>(0xE000E100);
}

Console g_console;

// Decimal digits of value into out (at least 21 bytes); returns their count.
std::size_t decimal(std::uint64_t value, char* out) {
  char reversed[20];
  std::size_t n = 0;
  do {
    reversed[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = reversed[n - 1 - i];
  return n;
}

}  // namespace

Console& console() {
  return g_console;
}

void Console::start() {
  reg(kBaudDiv) = kSystemClock / kBaud;
  reg(kCtrl) = kTxEnable | kRxEnable | kRxInterrupt;
  nvic_iser0() = 1u << 0;
}

void Console::write(const char* text, std::size_t size) {
  for (std::size_t i = 0; i < size; ++i) {
    while (reg(kState) & kTxFull) {
    }
    reg(kData) = static_cast<std::uint8_t>(text[i]);
  }
}

void Console::receive() {
  // Cleared before the UART is drained: a byte that arrives after the last read
  // raises the interrupt again (cleared after, it would wait unread for good).
  reg(kIntClear) = kRxInterruptClear;
  while (reg(kState) & kRxFull) {
    const char c = static_cast<char>(reg(kData) & 0xff);
    if (c == '\r' || c == '\n') {  // CR LF: the LF ends an empty line, which is ignored
      if (length_ > 0 && !overlong_ && lines_in_ - lines_out_ < kLines) {
        char* line = lines_[lines_in_ % kLines];
        for (std::size_t i = 0; i < length_; ++i)
          line[i] = receiving_[i];
        line[length_] = '\0';
        lines_in_ = lines_in_ + 1;
      }
      length_ = 0;
      overlong_ = false;
    } else if (length_ + 1 < kLine) {
      receiving_[length_++] = c;
    } else {
      overlong_ = true;
    }
  }
}

const char* Console::read_line() {
  if (lines_out_ == lines_in_) return nullptr;
  const char* line = lines_[lines_out_ % kLines];
  std::size_t i = 0;
  for (; line[i] && i + 1 < kLine; ++i)
    line_[i] = line[i];
  line_[i] = '\0';
  lines_out_ = lines_out_ + 1;
  return line_;
}

JsonLine::JsonLine(std::uint64_t t) {
  char digits[21];
  append("{\"t\":");
  append(digits, decimal(t, digits));
  committed_ = size_;
}

bool JsonLine::append(const char* text, std::size_t size) {
  if (size > sizeof buffer_ - 3 - size_) return false;  // room for "}\n"
  std::memcpy(buffer_ + size_, text, size);
  size_ += size;
  return true;
}

bool JsonLine::append(const char* text) {
  return append(text, std::strlen(text));
}

bool JsonLine::append_escaped(const char* text) {
  static const char kHex[] = "0123456789abcdef";
  for (const char* p = text; *p; ++p) {
    const unsigned char c = static_cast<unsigned char>(*p);
    char escaped[7] = {'\\', static_cast<char>(c), 0};
    std::size_t n = 2;
    if (c == '"' || c == '\\') {
    } else if (c == '\n') {
      escaped[1] = 'n';
    } else if (c < 0x20) {
      escaped[1] = 'u';
      escaped[2] = '0';
      escaped[3] = '0';
      escaped[4] = kHex[c >> 4];
      escaped[5] = kHex[c & 15];
      n = 6;
    } else if (c >= 0x80) {
      escaped[0] = '?';  // a cut UTF-8 sequence would not be JSON; the Device's texts are ASCII
      n = 1;
    } else {
      escaped[0] = static_cast<char>(c);
      n = 1;
    }
    if (!append(escaped, n)) return false;
  }
  return true;
}

bool JsonLine::open_field(const char* name) {
  size_ = committed_;
  return append(",\"") && append(name) && append("\":");
}

JsonLine& JsonLine::field(const char* name, const char* value) {
  if (open_field(name) && append("\"") && append_escaped(value ? value : "") && append("\""))
    committed_ = size_;
  size_ = committed_;
  return *this;
}

JsonLine& JsonLine::field(const char* name, std::uint64_t value) {
  char digits[21];
  if (open_field(name) && append(digits, decimal(value, digits))) committed_ = size_;
  size_ = committed_;
  return *this;
}

JsonLine& JsonLine::field(const char* name, bool value) {
  if (open_field(name) && append(value ? "true" : "false")) committed_ = size_;
  size_ = committed_;
  return *this;
}

JsonLine& JsonLine::hex(const char* name, const std::uint8_t* bytes, std::size_t size) {
  static const char kHex[] = "0123456789abcdef";
  bool ok = open_field(name) && append("\"");
  for (std::size_t i = 0; ok && i < size; ++i) {
    const char pair[2] = {kHex[bytes[i] >> 4], kHex[bytes[i] & 15]};
    ok = append(pair, 2);
  }
  if (ok && append("\"")) committed_ = size_;
  size_ = committed_;
  return *this;
}

void JsonLine::write_to(Console& out) {
  buffer_[committed_] = '}';
  buffer_[committed_ + 1] = '\n';
  out.write(buffer_, committed_ + 2);
}

}  // namespace tte::device::mps2

extern "C" void UART0RX_Handler() {
  tte::device::mps2::console().receive();
}
