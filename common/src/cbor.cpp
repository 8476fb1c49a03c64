#include "tte/cbor.hpp"

namespace tte::cbor {
namespace {

Error cbor_error(const char* message) {
  return make_error(Errc::syntax, message, "cbor");
}

}  // namespace

void Writer::byte(std::uint8_t b) {
  raw(&b, 1);
}

void Writer::raw(const std::uint8_t* data, std::size_t size) {
  if (overflow_ || size > out_.size() - size_) {
    overflow_ = true;
    return;
  }
  for (std::size_t i = 0; i < size; ++i)
    out_[size_ + i] = data[i];
  size_ += size;
}

void Writer::head(Major major, std::uint64_t argument) {
  std::uint8_t m = static_cast<std::uint8_t>(static_cast<std::uint8_t>(major) << 5);
  std::uint8_t buffer[9];
  std::size_t length = 0;
  std::size_t width = 0;
  if (argument < 24) {
    buffer[length++] = static_cast<std::uint8_t>(m | argument);
  } else if (argument <= 0xff) {
    buffer[length++] = static_cast<std::uint8_t>(m | 24);
    width = 1;
  } else if (argument <= 0xffff) {
    buffer[length++] = static_cast<std::uint8_t>(m | 25);
    width = 2;
  } else if (argument <= 0xffffffffu) {
    buffer[length++] = static_cast<std::uint8_t>(m | 26);
    width = 4;
  } else {
    buffer[length++] = static_cast<std::uint8_t>(m | 27);
    width = 8;
  }
  for (std::size_t i = 0; i < width; ++i) {
    buffer[length++] = static_cast<std::uint8_t>(argument >> (8 * (width - 1 - i)));
  }
  raw(buffer, length);
}

void Writer::integer(std::int64_t value) {
  if (value >= 0) {
    head(Major::unsigned_int, static_cast<std::uint64_t>(value));
  } else {
    // -1 - value, computed without overflow for INT64_MIN.
    head(Major::negative_int, ~static_cast<std::uint64_t>(value));
  }
}

void Writer::bytes(ByteView value) {
  head(Major::byte_string, value.size());
  raw(value.data(), value.size());
}

void Writer::text(std::string_view value) {
  head(Major::text_string, value.size());
  raw(reinterpret_cast<const std::uint8_t*>(value.data()), value.size());
}

Result<ByteView> Writer::finish() const {
  if (overflow_) return make_error(Errc::too_long, "CBOR output buffer too small", "cbor");
  return ByteView(out_.data(), size_);
}

Result<Item> Reader::next() {
  if (at_end()) return cbor_error("truncated CBOR: item expected");
  std::uint8_t initial = in_[pos_++];
  Item item;
  item.major = static_cast<Major>(initial >> 5);
  item.additional = initial & 0x1f;
  if (item.additional < 24) {
    item.argument = item.additional;
  } else if (item.additional <= 27) {
    std::size_t width = std::size_t{1} << (item.additional - 24);
    if (width > in_.size() - pos_) return cbor_error("truncated CBOR: argument");
    for (std::size_t i = 0; i < width; ++i)
      item.argument = (item.argument << 8) | in_[pos_++];
  } else if (item.additional == 31) {
    return make_error(Errc::unsupported, "indefinite-length CBOR is not accepted", "cbor");
  } else {
    return cbor_error("reserved CBOR additional information");
  }
  if (item.major == Major::simple && item.additional == 24 && item.argument < 32) {
    return cbor_error("non-preferred CBOR simple value");
  }
  if (item.major == Major::byte_string || item.major == Major::text_string) {
    if (item.argument > in_.size() - pos_) return cbor_error("truncated CBOR: string");
    item.content = in_.subspan(pos_, static_cast<std::size_t>(item.argument));
    pos_ += static_cast<std::size_t>(item.argument);
  }
  return item;
}

Status Reader::skip() {
  // Items still to skip; each nested container adds its elements. Every item
  // takes at least one byte, so a count beyond the remaining input is malformed
  // (this also keeps the counter from overflowing).
  std::uint64_t pending = 1;
  while (pending > 0) {
    TTE_ASSIGN_OR_RETURN(Item item, next());
    --pending;
    std::uint64_t remaining = in_.size() - pos_;
    std::uint64_t children = 0;
    if (item.major == Major::array) {
      children = item.argument;
    } else if (item.major == Major::map) {
      if (item.argument > remaining / 2) return cbor_error("truncated CBOR: map");
      children = 2 * item.argument;
    } else if (item.major == Major::tag) {
      children = 1;
    }
    if (children > remaining || pending > remaining - children) {
      return cbor_error("truncated CBOR: container");
    }
    pending += children;
  }
  return ok_status();
}

Result<std::uint64_t> Reader::read_uint() {
  TTE_ASSIGN_OR_RETURN(Item item, next());
  if (item.major != Major::unsigned_int) return cbor_error("expected an unsigned integer");
  return item.argument;
}

Result<ByteView> Reader::read_bytes() {
  TTE_ASSIGN_OR_RETURN(Item item, next());
  if (item.major != Major::byte_string) return cbor_error("expected a byte string");
  return item.content;
}

Result<std::string_view> Reader::read_text() {
  TTE_ASSIGN_OR_RETURN(Item item, next());
  if (item.major != Major::text_string) return cbor_error("expected a text string");
  return std::string_view(reinterpret_cast<const char*>(item.content.data()), item.content.size());
}

Result<std::uint64_t> Reader::read_map_header() {
  TTE_ASSIGN_OR_RETURN(Item item, next());
  if (item.major != Major::map) return cbor_error("expected a map");
  return item.argument;
}

Result<std::uint64_t> Reader::read_array_header() {
  TTE_ASSIGN_OR_RETURN(Item item, next());
  if (item.major != Major::array) return cbor_error("expected an array");
  return item.argument;
}

}  // namespace tte::cbor
