#include "link_format.hpp"

namespace tte::controller {
namespace {

// RFC 6690's parmname: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" /
// "|" / "~"
bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$&+-.^_`|~").find(c) != std::string_view::npos;
}

// A ptoken character (RFC 6690 section 2): what an unquoted value may hold.
bool is_ptoken_char(char c) {
  return is_name_char(c) || std::string_view("%'()*/:<=>?@[]{}").find(c) != std::string_view::npos;
}

bool is_target_char(char c) {
  return c > 0x20 && c < 0x7f && c != '<' && c != '>';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<std::vector<Link>> run() {
    std::vector<Link> links;
    while (true) {
      if (links.size() == kMaxLinks)
        return make_error(Errc::too_long, "more links than a registration may hold");
      Link link;
      if (!take('<')) return make_error(Errc::syntax, "a link must start with '<'");
      std::size_t start = at_;
      while (at_ < text_.size() && is_target_char(text_[at_]))
        ++at_;
      if (at_ == start) return make_error(Errc::syntax, "a link has an empty target");
      link.target = std::string(text_.substr(start, at_ - start));
      if (!take('>')) return make_error(Errc::syntax, "a link target must end with '>'");
      while (take(';')) {
        Link::Attribute attribute;
        start = at_;
        while (at_ < text_.size() && is_name_char(text_[at_]))
          ++at_;
        if (at_ == start) return make_error(Errc::syntax, "an attribute has no name");
        attribute.name = std::string(text_.substr(start, at_ - start));
        if (take('=')) {
          attribute.has_value = true;
          if (take('"')) {
            while (true) {
              if (at_ >= text_.size())
                return make_error(Errc::syntax, "a quoted value is not closed");
              char c = text_[at_++];
              if (c == '"') break;
              if (c == '\\') {
                if (at_ >= text_.size())
                  return make_error(Errc::syntax, "a quoted value ends in '\\'");
                c = text_[at_++];
              }
              if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                return make_error(Errc::syntax, "a control character in a quoted value");
              }
              attribute.value += c;
            }
          } else {
            start = at_;
            while (at_ < text_.size() && is_ptoken_char(text_[at_]))
              ++at_;
            if (at_ == start) return make_error(Errc::syntax, "an attribute has '=' but no value");
            attribute.value = std::string(text_.substr(start, at_ - start));
          }
        }
        link.attributes.push_back(std::move(attribute));
      }
      links.push_back(std::move(link));
      if (at_ == text_.size()) return links;
      if (!take(',')) return make_error(Errc::syntax, "links must be separated by ','");
    }
  }

 private:
  bool take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

bool is_plain_token(const std::string& value) {
  if (value.empty()) return false;
  for (char c : value) {
    if (!is_ptoken_char(c)) return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> Link::attribute(std::string_view name) const {
  for (const auto& a : attributes) {
    if (a.name == name) return a.value;
  }
  return std::nullopt;
}

Result<std::vector<Link>> parse_link_format(std::string_view text) {
  if (text.empty()) return make_error(Errc::missing, "the registration lists no resources");
  if (text.size() > kMaxLinkFormatBytes)
    return make_error(Errc::too_long, "the link-format payload is too long");
  return Parser(text).run();
}

std::string format_link_format(const std::vector<Link>& links) {
  std::string out;
  for (const auto& link : links) {
    if (!out.empty()) out += ',';
    out += '<' + link.target + '>';
    for (const auto& a : link.attributes) {
      out += ';' + a.name;
      if (!a.has_value) continue;
      out += '=';
      // RFC 6690 section 2 wants anchor quoted; base is a URI too (RFC 9176's examples).
      // and title is a quoted-string (RFC 8288 section 3.4.1).
      const bool uri = a.name == "anchor" || a.name == "base" || a.name == "title";
      if (!uri && is_plain_token(a.value)) {
        out += a.value;
        continue;
      }
      out += '"';
      for (char c : a.value) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    }
  }
  return out;
}

}  // namespace tte::controller
