#include "tte/dev_urn.hpp"

#include "tte/ascii.hpp"

namespace tte {
namespace {

constexpr std::string_view kPrefix = "urn:dev:";

// devunreservednodash = ALPHA / DIGIT / "."
bool is_unreserved_no_dash(char c) {
  return ascii::is_alpha(c) || ascii::is_digit(c) || c == '.';
}
// devunreserved = devunreservednodash / "-"
bool is_unreserved(char c) {
  return is_unreserved_no_dash(c) || c == '-';
}
// RFC 9039's hexdigit is lower-case only.
bool is_lower_hex(char c) {
  return ascii::is_digit(c) || (c >= 'a' && c <= 'f');
}

// A cursor over the text after "urn:dev:"; each rule consumes what it matches.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool at_end() const { return pos_ == text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool take(char c) {
    if (at_end() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  template <typename Pred>
  std::size_t take_while(Pred pred) {
    std::size_t start = pos_;
    while (!at_end() && pred(text_[pos_]))
      ++pos_;
    return pos_ - start;
  }
  std::size_t pos() const { return pos_; }
  std::string_view slice(std::size_t from) const { return text_.substr(from, pos_ - from); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Error urn_error(const char* message) {
  return make_error(Errc::syntax, message, "urn");
}

// identifier = 1*devunreserved
bool take_identifier(Cursor& c) {
  return c.take_while(is_unreserved) > 0;
}

// posnumber = NZDIGIT *DIGIT
bool take_posnumber(Cursor& c) {
  if (c.peek() < '1' || c.peek() > '9') return false;
  c.take_while(ascii::is_digit);
  return true;
}

// *( ":" identifier )
bool take_more_identifiers(Cursor& c) {
  while (c.take(':')) {
    if (!take_identifier(c)) return false;
  }
  return true;
}

}  // namespace

Result<DevUrn> DevUrn::parse(std::string_view text) {
  if (text.empty()) return make_error(Errc::missing, "empty Dev URN", "urn");
  if (text.size() > kMaxLength) return make_error(Errc::too_long, "Dev URN too long", "urn");
  if (!ascii::starts_with_ignoring_case(text, kPrefix))
    return urn_error("a Dev URN starts with urn:dev:");

  Cursor c(text.substr(kPrefix.size()));
  // subtype = LALPHA *(DIGIT / LALPHA). RFC 9039 defines LALPHA as %x41-5A (upper
  // case), but every subtype it registers is lower case: we read LALPHA as a-z.
  std::size_t subtype_length = 0;
  if (ascii::is_lower(c.peek()))
    subtype_length =
        c.take_while([](char ch) { return ascii::is_lower(ch) || ascii::is_digit(ch); });
  if (subtype_length == 0) return urn_error("a Dev URN needs a lower-case subtype after urn:dev:");
  std::string_view subtype = c.slice(0);
  if (!c.take(':')) return urn_error("the Dev URN subtype must be followed by ':'");

  // The registered subtypes must follow their own rule: "urn:dev:mac:zz" is not
  // read as a generic otherbody even though the ABNF's alternation would allow it.
  Kind kind = Kind::other;
  if (subtype == "mac" || subtype == "ow") {
    kind = subtype == "mac" ? Kind::mac : Kind::ow;
    // hexstring = 1*(hexdigit hexdigit)
    std::size_t digits = c.take_while(is_lower_hex);
    if (digits == 0 || digits % 2 != 0) {
      return urn_error("mac and ow URNs carry an even number of lower-case hex digits");
    }
  } else if (subtype == "org") {
    kind = Kind::org;  // orgbody = "org:" posnumber "-" identifier *( ":" identifier )
    if (!take_posnumber(c) || !c.take('-') || !take_identifier(c) || !take_more_identifiers(c)) {
      return urn_error("org URNs are urn:dev:org:<PEN>-<identifier>");
    }
  } else if (subtype == "os") {
    kind = Kind::os;  // osbody = "os:" posnumber "-" serial *( ":" identifier )
    if (!take_posnumber(c) || !c.take('-') || !take_identifier(c) || !take_more_identifiers(c)) {
      return urn_error("os URNs are urn:dev:os:<PEN>-<serial>");
    }
  } else if (subtype == "ops") {
    kind = Kind::ops;  // opsbody = "ops:" posnumber "-" product "-" serial *( ":" identifier )
    if (!take_posnumber(c) || !c.take('-') || c.take_while(is_unreserved_no_dash) == 0 ||
        !c.take('-') || !take_identifier(c) || !take_more_identifiers(c)) {
      return urn_error("ops URNs are urn:dev:ops:<PEN>-<product>-<serial>");
    }
  } else {
    // otherbody = subtype ":" identifier *( ":" identifier )
    if (!take_identifier(c) || !take_more_identifiers(c)) {
      return urn_error("the Dev URN needs an identifier after its subtype");
    }
  }
  // componentpart = *( "_" identifier )
  while (c.take('_')) {
    if (!take_identifier(c)) return urn_error("a Dev URN component after '_' must not be empty");
  }
  if (!c.at_end()) return urn_error("unexpected character in Dev URN");

  DevUrn urn;
  urn.text_.append(kPrefix);
  urn.text_.append(text.substr(kPrefix.size()));
  urn.kind_ = kind;
  urn.subtype_length_ = static_cast<std::uint8_t>(subtype_length);
  return urn;
}

std::string_view DevUrn::subtype() const {
  return text_.view().substr(kPrefix.size(), subtype_length_);
}

Result<DevId> DevUrn::suggested_dev_id() const {
  if (kind_ != Kind::mac && kind_ != Kind::ow) {
    return make_error(Errc::unsupported, "only mac and ow URNs carry a numeric identifier", "urn");
  }
  std::string_view hex = text_.view().substr(kPrefix.size() + subtype_length_ + 1);
  std::size_t end = hex.find('_');
  if (end != std::string_view::npos) hex = hex.substr(0, end);
  if (hex.size() > 8) hex = hex.substr(hex.size() - 8);
  return DevId::parse(hex);
}

}  // namespace tte
