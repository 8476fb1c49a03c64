// A small CBOR (RFC 8949) encoder and decoder that needs no heap, for the
// Device's messages. The writer emits preferred (shortest) encodings with
// definite lengths; the reader accepts any well-formed definite-length item
// and refuses indefinite lengths, reserved additional-information values and
// truncated input.
#ifndef TTE_CBOR_HPP
#define TTE_CBOR_HPP

#include <cstdint>
#include <string_view>

#include "tte/result.hpp"
#include "tte/span.hpp"

namespace tte::cbor {

enum class Major : std::uint8_t {
  unsigned_int = 0,
  negative_int = 1,
  byte_string = 2,
  text_string = 3,
  array = 4,
  map = 5,
  tag = 6,
  simple = 7,  // false, true, null, undefined, floats
};

class Writer {
 public:
  explicit Writer(MutableByteView out) : out_(out) {}

  void uint(std::uint64_t value) { head(Major::unsigned_int, value); }
  // Any integer: negative values use major type 1.
  void integer(std::int64_t value);
  void bytes(ByteView value);
  void text(std::string_view value);
  void array(std::uint64_t count) { head(Major::array, count); }
  void map(std::uint64_t pairs) { head(Major::map, pairs); }
  void boolean(bool value) { byte(value ? 0xf5 : 0xf4); }
  void null() { byte(0xf6); }

  // The encoded bytes, or too_long if the buffer overflowed at any point.
  Result<ByteView> finish() const;

 private:
  void head(Major major, std::uint64_t argument);
  void byte(std::uint8_t b);
  void raw(const std::uint8_t* data, std::size_t size);

  MutableByteView out_;
  std::size_t size_ = 0;
  bool overflow_ = false;
};

// One data item's head: its major type and argument, plus the content bytes for
// byte and text strings.
struct Item {
  Major major = Major::unsigned_int;
  std::uint8_t additional = 0;  // the low 5 bits of the initial byte
  std::uint64_t argument = 0;   // value, length, count or tag; simple value for major 7
  ByteView content;             // strings only
};

class Reader {
 public:
  explicit Reader(ByteView in) : in_(in) {}

  // Reads the next item's head (and a string's content). Arrays and maps are
  // entered: their elements follow as further items.
  // Errors: syntax (truncated, reserved or indefinite encodings).
  Result<Item> next();
  // Skips one complete item, including everything nested in it.
  Status skip();

  bool at_end() const { return pos_ == in_.size(); }
  std::size_t position() const { return pos_; }

  // Convenience readers that check the type. Errors: syntax.
  Result<std::uint64_t> read_uint();
  Result<ByteView> read_bytes();
  Result<std::string_view> read_text();
  Result<std::uint64_t> read_map_header();
  Result<std::uint64_t> read_array_header();

 private:
  ByteView in_;
  std::size_t pos_ = 0;
};

}  // namespace tte::cbor

#endif  // TTE_CBOR_HPP
