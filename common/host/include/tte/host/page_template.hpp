// Web pages from templates: the HTML of the Controller's and the MotherShip's
// pages lives in .html files (controller/web, mothership/web) embedded in the
// programs at build time, with placeholders the programs fill in:
//
//   {{name}}    a value shown as text, HTML-escaped (& < > " ' become entities),
//               so that it is safe in element content and in quoted attributes;
//   {{{name}}}  an HTML fragment the program has already rendered (another
//               template's output, the stylesheet), inserted as it is.
//
// Names are ASCII letters, digits and '_'; "{{" always opens a placeholder. A
// template and its values must agree exactly, so that a typo shows up as an
// error in the tests rather than as a page with a hole in it.
#ifndef TTE_HOST_PAGE_TEMPLATE_HPP
#define TTE_HOST_PAGE_TEMPLATE_HPP

#include <string>
#include <string_view>
#include <vector>

#include "tte/result.hpp"

namespace tte {

// & < > " ' as &amp; &lt; &gt; &quot; &#39;; everything else as it is.
std::string html_escape(std::string_view text);

// The values for one rendering: PageValues().text("urn", urn).html("rows", rows).
class PageValues {
 public:
  // A value from a request, the database or the program, shown as text.
  PageValues& text(std::string_view name, std::string_view value);
  // Markup the program rendered itself (never text from a request or the database).
  PageValues& html(std::string_view name, std::string fragment);

 private:
  friend Result<std::string> render_page(std::string_view page_template, const PageValues& values);

  struct Value {
    std::string name;
    std::string content;  // the text, or the fragment
    bool fragment;
  };
  PageValues& add(std::string_view name, std::string content, bool fragment);

  std::vector<Value> values_;
  bool duplicate_ = false;
};

// The template with every placeholder replaced by its value. Errors: syntax (a
// placeholder not closed, or a name not of letters, digits and '_'), missing (a
// placeholder without a value), duplicate (a name given two values), unsupported
// (a value the template never uses, or text where it wants a fragment, or the
// other way round). A name may appear any number of times.
Result<std::string> render_page(std::string_view page_template, const PageValues& values);

}  // namespace tte

#endif  // TTE_HOST_PAGE_TEMPLATE_HPP
