#include "tte/ip_address.hpp"

#include "tte/ascii.hpp"
#include "tte/hex.hpp"

namespace tte {
namespace {

Error address_error(const char* message) {
  return make_error(Errc::syntax, message, "ip");
}

// Parses exactly a dotted quad into out[0..3].
bool parse_dotted_quad(std::string_view text, std::uint8_t* out) {
  std::size_t octet = 0;
  std::size_t i = 0;
  while (octet < 4) {
    std::size_t start = i;
    unsigned value = 0;
    while (i < text.size() && ascii::is_digit(text[i]) && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    std::size_t digits = i - start;
    if (digits == 0 || value > 255 || (digits > 1 && text[start] == '0')) return false;
    out[octet++] = static_cast<std::uint8_t>(value);
    if (octet < 4) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size();
}

bool parse_ipv6(std::string_view text, std::array<std::uint8_t, 16>& out) {
  std::uint16_t groups[8] = {};
  std::size_t count = 0;    // groups parsed so far
  std::ptrdiff_t gap = -1;  // index in groups where "::" stands
  std::size_t i = 0;
  if (text.size() >= 2 && text[0] == ':' && text[1] == ':') {
    gap = 0;
    i = 2;
  } else if (!text.empty() && text[0] == ':') {
    return false;
  }
  while (i < text.size()) {
    if (count == 8) return false;
    // An embedded IPv4 tail takes the last two groups.
    std::size_t end = text.find(':', i);
    std::string_view piece = text.substr(i, end == std::string_view::npos ? end : end - i);
    if (piece.find('.') != std::string_view::npos) {
      if (end != std::string_view::npos || count > 6) return false;
      std::uint8_t quad[4];
      if (!parse_dotted_quad(piece, quad)) return false;
      groups[count++] = static_cast<std::uint16_t>((quad[0] << 8) | quad[1]);
      groups[count++] = static_cast<std::uint16_t>((quad[2] << 8) | quad[3]);
      i = text.size();
      break;
    }
    if (piece.empty() || piece.size() > 4) return false;
    std::uint16_t value = 0;
    for (char c : piece) {
      int digit = hex_digit_value(c);
      if (digit < 0) return false;
      value = static_cast<std::uint16_t>((value << 4) | digit);
    }
    groups[count++] = value;
    i += piece.size();
    if (i == text.size()) break;
    ++i;  // the ':'
    if (i < text.size() && text[i] == ':') {
      if (gap >= 0) return false;  // a second "::"
      gap = static_cast<std::ptrdiff_t>(count);
      ++i;
    } else if (i == text.size()) {
      return false;  // trailing single ':'
    }
  }
  if (gap < 0 && count != 8) return false;
  if (gap >= 0 && count > 7) return false;  // "::" must stand for at least one group
  std::uint16_t full[8] = {};
  if (gap < 0) {
    for (std::size_t g = 0; g < 8; ++g)
      full[g] = groups[g];
  } else {
    std::size_t head = static_cast<std::size_t>(gap);
    std::size_t tail = count - head;
    for (std::size_t g = 0; g < head; ++g)
      full[g] = groups[g];
    for (std::size_t g = 0; g < tail; ++g)
      full[8 - tail + g] = groups[head + g];
  }
  for (std::size_t g = 0; g < 8; ++g) {
    out[2 * g] = static_cast<std::uint8_t>(full[g] >> 8);
    out[2 * g + 1] = static_cast<std::uint8_t>(full[g]);
  }
  return true;
}

}  // namespace

IpAddress IpAddress::v4(const std::array<std::uint8_t, 4>& bytes) {
  IpAddress address;
  address.family_ = Family::v4;
  for (std::size_t i = 0; i < 4; ++i)
    address.bytes_[i] = bytes[i];
  return address;
}

IpAddress IpAddress::v6(const std::array<std::uint8_t, 16>& bytes) {
  IpAddress address;
  address.family_ = Family::v6;
  address.bytes_ = bytes;
  return address;
}

Result<IpAddress> IpAddress::from_bytes(ByteView bytes) {
  if (bytes.size() == 4) return v4({bytes[0], bytes[1], bytes[2], bytes[3]});
  if (bytes.size() == 16) {
    std::array<std::uint8_t, 16> copy{};
    for (std::size_t i = 0; i < 16; ++i)
      copy[i] = bytes[i];
    return v6(copy);
  }
  return address_error("an IP address is 4 or 16 bytes");
}

Result<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty()) return make_error(Errc::missing, "empty IP address", "ip");
  if (text.size() > kMaxTextLength) return address_error("not an IP address");
  if (text.find('%') != std::string_view::npos) {
    return make_error(Errc::unsupported, "IPv6 zone IDs are not allowed in a Controller address",
                      "ip");
  }
  if (text.find(':') == std::string_view::npos) {
    std::array<std::uint8_t, 4> quad{};
    if (!parse_dotted_quad(text, quad.data())) {
      return address_error("not an IPv4 address (dotted quad, no leading zeros)");
    }
    return v4(quad);
  }
  std::array<std::uint8_t, 16> bytes{};
  if (!parse_ipv6(text, bytes)) return address_error("not an IPv6 address");
  return v6(bytes);
}

IpAddress::Text IpAddress::to_string() const {
  Text text;
  if (family_ == Family::v4) {
    for (std::size_t i = 0; i < 4; ++i) {
      if (i) text.push_back('.');
      append_decimal(text, bytes_[i]);
    }
    return text;
  }
  std::uint16_t groups[8];
  for (std::size_t g = 0; g < 8; ++g) {
    groups[g] = static_cast<std::uint16_t>((bytes_[2 * g] << 8) | bytes_[2 * g + 1]);
  }
  // RFC 5952 4.2: compress the longest run (>= 2) of zero groups, the first on a tie.
  std::size_t best_start = 8, best_length = 0;
  for (std::size_t g = 0; g < 8;) {
    if (groups[g] != 0) {
      ++g;
      continue;
    }
    std::size_t start = g;
    while (g < 8 && groups[g] == 0)
      ++g;
    if (g - start > best_length) {
      best_start = start;
      best_length = g - start;
    }
  }
  if (best_length < 2) best_start = 8;
  // RFC 5952 5: IPv4-mapped addresses keep their dotted tail.
  bool mapped = groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 &&
                groups[4] == 0 && groups[5] == 0xffff;
  std::size_t hex_groups = mapped ? 6 : 8;
  for (std::size_t g = 0; g < hex_groups;) {
    if (g == best_start) {
      text.append("::");
      g += best_length;
      continue;
    }
    if (g != 0 && g != best_start + best_length) text.push_back(':');
    char digits[4];
    write_hex_number(groups[g], 4, /*upper=*/false, digits);
    std::size_t skip = 0;
    while (skip < 3 && digits[skip] == '0')
      ++skip;
    text.append(std::string_view(digits + skip, 4 - skip));
    ++g;
  }
  if (mapped) {
    text.push_back(':');
    for (std::size_t i = 12; i < 16; ++i) {
      if (i != 12) text.push_back('.');
      append_decimal(text, bytes_[i]);
    }
  }
  return text;
}

Result<std::uint16_t> parse_port(std::string_view text, const char* field) {
  if (text.empty()) return make_error(Errc::missing, "empty port", field);
  if (text.size() > 5) return make_error(Errc::out_of_range, "port must be 1-65535", field);
  unsigned value = 0;
  for (char c : text) {
    if (!ascii::is_digit(c)) return make_error(Errc::syntax, "port is not a decimal number", field);
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535)
    return make_error(Errc::out_of_range, "port must be 1-65535", field);
  return static_cast<std::uint16_t>(value);
}

Result<ControllerAddress> ControllerAddress::parse(std::string_view text) {
  if (text.empty()) return make_error(Errc::missing, "empty address", "address");
  std::string_view host;
  std::string_view port;
  if (text[0] == '[') {
    std::size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error(Errc::syntax, "an IPv6 address is written [address]:port", "address");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return make_error(Errc::missing, "the address needs a port (address:port)", "address");
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      return make_error(Errc::syntax, "an IPv6 address is written [address]:port", "address");
    }
  }
  ControllerAddress address;
  TTE_ASSIGN_OR_RETURN(address.ip, IpAddress::parse(host));
  if (text[0] == '[' && address.ip.family() != IpAddress::Family::v6) {
    return make_error(Errc::syntax, "brackets are for IPv6 addresses only", "address");
  }
  TTE_ASSIGN_OR_RETURN(address.port, parse_port(port, "port"));
  return address;
}

ControllerAddress::Text ControllerAddress::to_string() const {
  Text text;
  bool v6 = ip.family() == IpAddress::Family::v6;
  if (v6) text.push_back('[');
  text.append(ip.to_string().view());
  if (v6) text.push_back(']');
  text.push_back(':');
  append_decimal(text, port);
  return text;
}

}  // namespace tte
