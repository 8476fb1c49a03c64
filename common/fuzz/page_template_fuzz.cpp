// Page templates: any text as a template, with values for the placeholders
// {{a}} (text) and {{{b}}} (a fragment). Invariants: whether a template renders
// does not depend on what its values hold; a text value appears only escaped;
// no "{{" survives; escaping reverses exactly and leaves no special character.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "tte/host/page_template.hpp"

namespace {

std::string unescape(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out += text[i];
      continue;
    }
    std::size_t end = text.find(';', i);
    FUZZ_CHECK(end != std::string_view::npos);
    const std::string_view entity = text.substr(i, end + 1 - i);
    if (entity == "&amp;") {
      out += '&';
    } else if (entity == "&lt;") {
      out += '<';
    } else if (entity == "&gt;") {
      out += '>';
    } else if (entity == "&quot;") {
      out += '"';
    } else {
      FUZZ_CHECK(entity == "&#39;");
      out += '\'';
    }
    i = end;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string escaped = tte::html_escape(text);
  FUZZ_CHECK(escaped.find_first_of("<>\"'") == std::string::npos);
  FUZZ_CHECK(unescape(escaped) == text);

  // No values: only a template without placeholders renders, as it is.
  auto plain = tte::render_page(text, tte::PageValues());
  FUZZ_CHECK(plain.ok() == (text.find("{{") == std::string_view::npos));
  if (plain.ok()) FUZZ_CHECK(plain.value() == text);

  const std::string_view special = "<&>\"'";
  const std::string special_escaped = tte::html_escape(special);
  auto empty = tte::render_page(text, tte::PageValues().text("a", "").html("b", ""));
  auto filled = tte::render_page(text, tte::PageValues().text("a", special).html("b", "<i>"));
  FUZZ_CHECK(empty.ok() == filled.ok());
  if (filled.ok()) {
    FUZZ_CHECK(filled->find("{{") == std::string::npos);
    FUZZ_CHECK(filled->size() >= empty->size());
    // Only {{{b}}} adds a '<' to what the template holds: the text value is escaped.
    auto text_only = tte::render_page(text, tte::PageValues().text("a", special).html("b", ""));
    FUZZ_CHECK(text_only.ok());
    FUZZ_CHECK((text_only->size() - empty->size()) % special_escaped.size() == 0);
    FUZZ_CHECK(std::count(text_only->begin(), text_only->end(), '<') ==
               std::count(empty->begin(), empty->end(), '<'));
  }
  return 0;
}
