#include "tte/host/page_template.hpp"

#include <algorithm>

namespace tte {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

PageValues& PageValues::text(std::string_view name, std::string_view value) {
  return add(name, html_escape(value), false);
}

PageValues& PageValues::html(std::string_view name, std::string fragment) {
  return add(name, std::move(fragment), true);
}

PageValues& PageValues::add(std::string_view name, std::string content, bool fragment) {
  for (const Value& value : values_) {
    if (value.name == name) duplicate_ = true;
  }
  values_.push_back(Value{std::string(name), std::move(content), fragment});
  return *this;
}

Result<std::string> render_page(std::string_view page_template, const PageValues& values) {
  if (values.duplicate_) return make_error(Errc::duplicate, "a page value is given twice");
  std::vector<bool> used(values.values_.size(), false);
  std::size_t size = page_template.size();
  for (const auto& value : values.values_)
    size += value.content.size();
  std::string out;
  out.reserve(size);
  std::size_t at = 0;
  for (;;) {
    const std::size_t open = page_template.find("{{", at);
    if (open == std::string_view::npos) break;
    out.append(page_template.substr(at, open - at));
    const bool fragment = page_template.substr(open + 2, 1) == "{";
    const std::string_view close = fragment ? "}}}" : "}}";
    const std::size_t start = open + (fragment ? 3 : 2);
    const std::size_t end = page_template.find(close, start);
    if (end == std::string_view::npos)
      return make_error(Errc::syntax, "a placeholder is not closed");
    const std::string_view name = page_template.substr(start, end - start);
    if (!valid_name(name))
      return make_error(Errc::syntax, "a placeholder's name is not letters, digits and _");
    auto value = std::find_if(values.values_.begin(), values.values_.end(),
                              [&](const PageValues::Value& v) { return v.name == name; });
    if (value == values.values_.end())
      return make_error(Errc::missing, "a placeholder has no value");
    if (value->fragment != fragment) {
      return make_error(Errc::unsupported, fragment ? "a {{{fragment}}} placeholder is given text"
                                                    : "a {{text}} placeholder is given a fragment");
    }
    used[static_cast<std::size_t>(value - values.values_.begin())] = true;
    out.append(value->content);
    at = end + close.size();
  }
  out.append(page_template.substr(at));
  if (std::find(used.begin(), used.end(), false) != used.end())
    return make_error(Errc::unsupported, "a page value is not used by the template");
  return out;
}

}  // namespace tte
