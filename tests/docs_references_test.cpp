// What the documents and the comments point at must exist: this test fails when
// a cited repository path, a function of docs/protocol.md's message table, a
// section of docs/protocol.md ("protocol.md §8", "§9.2", "protocol.md section
// 7"), a heading cited by its title (docs/device.md, "Memory map") or a link's
// #anchor no longer does. Plain string scanning (std::regex was too slow here).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRoot = fs::path(TTE_DOCS_DIR).parent_path();

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

std::string repo_relative(const fs::path& path) {
  return path.lexically_relative(kRoot).string();
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_path_char(char c) {
  return is_alnum(c) || c == '_' || c == '-' || c == '.' || c == '/';
}
bool is_name_char(char c) {
  return is_alnum(c) || c == '_';
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Where a file mentions something: "docs/device.md:77".
std::string where(const fs::path& file, const std::string& text, std::size_t at) {
  std::size_t line = 1;
  for (std::size_t i = 0; i < at && i < text.size(); ++i)
    line += text[i] == '\n';
  return repo_relative(file) + ":" + std::to_string(line);
}

// The documents: docs/*.md, and every README.md.
std::vector<fs::path> documents() {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(kRoot / "docs"))
    if (entry.path().extension() == ".md") found.push_back(entry.path());
  for (const char* top : {"", "common", "controller", "mothership", "introducer", "device-fw",
                          "proto", "docker", "demo", "tests"}) {
    const fs::path readme = kRoot / top / "README.md";
    if (fs::exists(readme)) found.push_back(readme);
  }
  return found;
}

// The sources whose comments cite documents: C and C++, shell, CMake, and ./tte.
// Build directories (they hold a CMakeCache.txt) and dot-directories are skipped.
std::vector<fs::path> sources() {
  std::vector<fs::path> found{kRoot / "tte"};
  for (const char* top : {"common", "controller", "mothership", "introducer", "device-fw", "tests",
                          "proto", "demo", "docker", "cmake", ".ci"}) {
    if (!fs::exists(kRoot / top)) continue;
    for (auto it = fs::recursive_directory_iterator(kRoot / top);
         it != fs::recursive_directory_iterator(); ++it) {
      if (it->is_directory() && (fs::exists(it->path() / "CMakeCache.txt") ||
                                 it->path().filename().string().rfind('.', 0) == 0)) {
        it.disable_recursion_pending();
        continue;
      }
      if (!it->is_regular_file()) continue;
      const std::string name = it->path().filename().string();
      const std::string ext = it->path().extension().string();
      if (ext == ".cpp" || ext == ".hpp" || ext == ".c" || ext == ".h" || ext == ".ld" ||
          ext == ".sh" || ext == ".cmake" || name == "CMakeLists.txt" || name == "Dockerfile" ||
          name == "run")
        found.push_back(it->path());
    }
  }
  return found;
}

// A Markdown text without its fenced code blocks (each line kept, emptied,
// so that offsets still give the right line).
std::string without_fences(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  std::string line;
  bool fenced = false;
  while (std::getline(lines, line)) {
    const bool fence = line.rfind("```", 0) == 0;
    if (fence) fenced = !fenced;
    out += (fence || fenced) ? std::string(line.size(), ' ') : line;
    out += '\n';
  }
  return out;
}

// A source's comments: every other character replaced by a space (the lines
// kept, so that offsets still give the right line). C and C++: // and /* */,
// outside string and character literals; the others: # to the end of the line,
// at its start or after a blank.
std::string comments_of(const fs::path& file, const std::string& text) {
  const std::string ext = file.extension().string();
  const bool c_family =
      ext == ".cpp" || ext == ".hpp" || ext == ".c" || ext == ".h" || ext == ".ld";
  std::string out(text.size(), ' ');
  enum class In { code, string, character, line_comment, block_comment } in = In::code;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i], next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (c == '\n') {
      out[i] = '\n';
      if (in != In::block_comment) in = In::code;
      continue;
    }
    switch (in) {
      case In::code:
        if (c_family && c == '/' && next == '/')
          in = In::line_comment;
        else if (c_family && c == '/' && next == '*')
          in = In::block_comment, ++i;
        else if (c_family && c == '"')
          in = In::string;
        else if (c_family && c == '\'' && !(i > 0 && is_alnum(text[i - 1])))  // not 30'000
          in = In::character;
        else if (!c_family && c == '#' && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n'))
          in = In::line_comment;
        break;
      case In::string:
      case In::character:
        if (c == '\\')
          ++i;
        else if (c == (in == In::string ? '"' : '\''))
          in = In::code;
        break;
      case In::line_comment:
        out[i] = c;
        break;
      case In::block_comment:
        if (c == '*' && next == '/')
          in = In::code, ++i;
        else
          out[i] = c;
        break;
    }
  }
  return out;
}

// --- repository paths -------------------------------------------------------

// The top-level directories a cited path starts with.
const char* const kTops[] = {"common/",    "controller/", "mothership/", "introducer/",
                             "device-fw/", "tests/",      "docs/",       "proto/",
                             "demo/",      "docker/",     "cmake/",      ".ci/"};

// Every maximal run of path characters starting with a top-level directory
// ("controller/src/api.cpp"), without trailing dots, as (offset, path).
std::vector<std::pair<std::size_t, std::string>> repo_paths_in(const std::string& text) {
  std::vector<std::pair<std::size_t, std::string>> found;
  for (std::size_t i = 0; i < text.size();) {
    if (!is_path_char(text[i]) || (i > 0 && is_path_char(text[i - 1]))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && is_path_char(text[end]))
      ++end;
    std::string token = text.substr(i, end - i);
    while (!token.empty() && token.back() == '.')
      token.pop_back();
    for (const char* top : kTops) {
      if (starts_with(token, top)) {
        found.emplace_back(i, token);
        break;
      }
    }
    i = end;
  }
  return found;
}

// Cited, but not in the repository on purpose.
const std::set<std::string> kMadeByTheUser = {
    "docker/.env",  // docker/README.md: variables for docker-compose
};

// Whether a path in a source is one of the repository's files, not a build's
// output ("controller/tte-controller" is a program in a build directory).
bool names_a_source_file(const std::string& path) {
  const std::string ext = fs::path(path).extension().string();
  for (const char* known : {".md", ".cpp", ".hpp", ".h", ".c", ".sh", ".cmake", ".py", ".yml",
                            ".json", ".txt", ".ld", ".svg", ".png"})
    if (ext == known) return true;
  return false;
}

TEST(DocsReferences, EveryCitedRepositoryPathExists) {
  std::set<std::string> missing;
  std::size_t checked = 0;
  auto check = [&](const fs::path& file, const std::string& text, bool source) {
    for (const auto& [at, path] : repo_paths_in(text)) {
      if (kMadeByTheUser.count(path) || (source && !names_a_source_file(path))) continue;
      ++checked;
      if (!fs::exists(kRoot / path)) missing.insert(where(file, text, at) + ": " + path);
    }
  };
  for (const fs::path& document : documents())
    check(document, without_fences(read(document)), false);
  for (const fs::path& source : sources())
    check(source, comments_of(source, read(source)), true);
  EXPECT_GT(checked, 200u);  // the documents do cite paths
  for (const std::string& item : missing)
    ADD_FAILURE() << "no such file or directory: " << item;
}

// --- Markdown links and their anchors -----------------------------------------

// GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'.
std::string slug(const std::string& heading) {
  std::string out;
  for (char c : heading) {
    if (c >= 'A' && c <= 'Z')
      out += static_cast<char>(c - 'A' + 'a');
    else if (is_alnum(c) || c == '-' || c == '_')
      out += c;
    else if (c == ' ')
      out += '-';
  }
  return out;
}

// A Markdown file's headings: number ("9.2" or ""), title without it, anchor.
struct Heading {
  std::string number;
  std::string title;
  std::string anchor;
};

std::vector<Heading> headings_of(const std::string& text) {
  std::vector<Heading> found;
  std::map<std::string, int> seen;
  std::istringstream lines(without_fences(text));
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] != '#') continue;
    std::size_t start = line.find_first_not_of('#');
    if (start == std::string::npos || line[start] != ' ') continue;
    std::string title = line.substr(start + 1);
    while (!title.empty() && title.back() == ' ')
      title.pop_back();
    Heading heading;
    std::size_t i = 0;
    while (i < title.size() && (is_digit(title[i]) || title[i] == '.'))
      ++i;
    heading.title = title;
    if (i > 0 && i < title.size() && title[i] == ' ') {
      heading.number = title.substr(0, i);
      if (heading.number.back() == '.') heading.number.pop_back();
      heading.title = title.substr(i + 1);
    }
    heading.anchor = slug(title);
    const int repeat = seen[heading.anchor]++;
    if (repeat > 0) heading.anchor += "-" + std::to_string(repeat);
    found.push_back(heading);
  }
  return found;
}

TEST(DocsReferences, EveryLinkedFileAndAnchorExists) {
  std::set<std::string> missing;
  std::size_t anchors = 0;
  for (const fs::path& document : documents()) {
    const std::string text = without_fences(read(document));
    for (std::size_t at = text.find("]("); at != std::string::npos; at = text.find("](", at + 2)) {
      const std::size_t close = text.find(')', at);
      if (close == std::string::npos) break;
      std::string target = text.substr(at + 2, close - at - 2);
      if (target.find("://") != std::string::npos || starts_with(target, "mailto:")) continue;
      if (target.find(' ') != std::string::npos) continue;  // not a link
      std::string fragment;
      if (std::size_t hash = target.find('#'); hash != std::string::npos) {
        fragment = target.substr(hash + 1);
        target.erase(hash);
      }
      const fs::path file = target.empty() ? document : document.parent_path() / target;
      if (!fs::exists(file)) {
        missing.insert(where(document, text, at) + ": no such file: " + target);
        continue;
      }
      if (fragment.empty() || file.extension() != ".md") continue;
      ++anchors;
      bool found = false;
      for (const Heading& heading : headings_of(read(file)))
        found = found || heading.anchor == fragment;
      if (!found)
        missing.insert(where(document, text, at) + ": no heading #" + fragment + " in " +
                       repo_relative(file.lexically_normal()));
    }
  }
  EXPECT_GT(anchors, 20u);
  for (const std::string& item : missing)
    ADD_FAILURE() << item;
}

std::string lower(std::string text) {
  for (char& c : text)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return text;
}

// "docs/device.md, \"Memory map\"" or "protocol.md "Dev URN"": a heading cited by
// its title (part of it will do: "LED enrollment" for "LED enrollment (draft 5.1)").
TEST(DocsReferences, EveryHeadingCitedByItsTitleExists) {
  std::set<std::string> missing;
  std::size_t checked = 0;
  auto scan = [&](const fs::path& file, const std::string& text) {
    for (std::size_t at = text.find(".md"); at != std::string::npos;
         at = text.find(".md", at + 1)) {
      std::size_t quote = at + 3;
      if (quote < text.size() && text[quote] == ',') ++quote;
      if (quote >= text.size() || text[quote] != ' ') continue;
      ++quote;
      if (quote < text.size() && text[quote] == '\\') ++quote;
      if (quote >= text.size() || text[quote] != '"') continue;
      const std::size_t end = text.find('"', quote + 1);
      if (end == std::string::npos) continue;
      std::string title = text.substr(quote + 1, end - quote - 1);
      if (!title.empty() && title.back() == '\\') title.pop_back();
      std::size_t start = at;
      while (start > 0 && is_path_char(text[start - 1]))
        --start;
      const std::string path = text.substr(start, at + 3 - start);
      fs::path cited = kRoot / path;
      if (path.find('/') == std::string::npos || !fs::exists(cited))
        cited = file.parent_path() / path;
      if (!fs::exists(cited)) continue;  // EveryCitedRepositoryPathExists says so
      ++checked;
      bool found = false;
      for (const Heading& heading : headings_of(read(cited)))
        found = found || lower(heading.title).find(lower(title)) != std::string::npos;
      if (!found)
        missing.insert(where(file, text, at) + ": " + repo_relative(cited.lexically_normal()) +
                       " has no heading \"" + title + "\"");
    }
  };
  for (const fs::path& document : documents())
    scan(document, without_fences(read(document)));
  for (const fs::path& source : sources())
    scan(source, read(source));
  EXPECT_GT(checked, 10u);
  for (const std::string& item : missing)
    ADD_FAILURE() << item;
}

// --- sections of docs/protocol.md ------------------------------------------------

// The section numbers of "§13.1", "§5-7" or "section 10.1" at text[at] (after
// the sign or the word): "13.1"; "5", "7".
std::vector<std::string> section_numbers_at(const std::string& text, std::size_t at) {
  std::vector<std::string> numbers;
  for (;;) {
    std::size_t end = at;
    while (end < text.size() && (is_digit(text[end]) || text[end] == '.'))
      ++end;
    std::string number = text.substr(at, end - at);
    while (!number.empty() && number.back() == '.')
      number.pop_back();
    if (number.empty() || !is_digit(number[0])) break;
    numbers.push_back(number);
    if (end < text.size() && text[end] == '-' && end + 1 < text.size() && is_digit(text[end + 1]))
      at = end + 1;  // a range, "§5-7"
    else
      break;
  }
  return numbers;
}

// The words before text[at], lower case: "rfc 9176 " for "RFC 9176 §5.1".
std::string before(const std::string& text, std::size_t at, std::size_t length) {
  return lower(text.substr(at > length ? at - length : 0, at > length ? length : at));
}

// Whether the "§" at text[at] names another document's section: "RFC 9176 §5.1",
// "draft §4", "draft 5.1" style citations.
bool cites_another_document(const std::string& text, std::size_t at) {
  const std::string words = before(text, at, 12);
  if (ends_with(words, "draft ") || ends_with(words, "draft's ")) return true;
  // "RFC 7252 §4.3": digits, a space, "rfc " before them.
  std::size_t i = words.size();
  if (i == 0 || words[i - 1] != ' ') return false;
  --i;
  std::size_t digits = i;
  while (i > 0 && is_digit(words[i - 1]))
    --i;
  return i < digits && i >= 4 && words.compare(i - 4, 4, "rfc ") == 0;
}

const std::string kSign = "\xc2\xa7";                          // "§" in UTF-8
const std::string kOldName = std::string("PROTOCOL") + ".md";  // spelt so: this file is scanned too

TEST(DocsReferences, EverySectionOfTheProtocolCitedExists) {
  const fs::path protocol = kRoot / "docs" / "protocol.md";
  const std::string protocol_text = read(protocol);
  std::set<std::string> sections;
  for (const Heading& heading : headings_of(protocol_text))
    if (!heading.number.empty()) sections.insert(heading.number);
  ASSERT_GT(sections.size(), 30u);

  std::set<std::string> missing;
  std::size_t checked = 0;
  auto check = [&](const fs::path& file, const std::string& text, std::size_t at,
                   std::size_t number_at) {
    for (const std::string& number : section_numbers_at(text, number_at)) {
      ++checked;
      if (!sections.count(number))
        missing.insert(where(file, text, at) + ": docs/protocol.md has no section " + number);
    }
  };
  auto scan = [&](const fs::path& file, const std::string& text) {
    const bool is_protocol = file == protocol;
    // docs/protocol.md's errata (section 15) cite the draft's sections.
    std::size_t errata = std::string::npos, errata_end = std::string::npos;
    if (is_protocol) {
      errata = text.find("\n## 15. ");
      errata_end = text.find("\n## ", errata + 1);
    }
    // Every "§N": docs/protocol.md's, unless it is another document's. One
    // after another ("draft §2, §3.1", "RFC 9176 §5 and §7") is the same one's.
    std::size_t previous_end = std::string::npos;
    bool previous_other = false;
    for (std::size_t at = text.find(kSign); at != std::string::npos;
         at = text.find(kSign, at + 1)) {
      const std::string between = previous_end == std::string::npos || previous_end > at
                                      ? std::string("?")
                                      : text.substr(previous_end, at - previous_end);
      const bool other = between == ", " || between == " and " || between == ", and " ||
                                 between == " or " || between == "-"
                             ? previous_other
                             : cites_another_document(text, at);
      previous_other = other;
      previous_end = at + kSign.size();
      while (previous_end < text.size() &&
             (is_digit(text[previous_end]) || text[previous_end] == '.'))
        ++previous_end;
      if (text[previous_end - 1] == '.') --previous_end;  // the sentence's full stop
      if (errata != std::string::npos && at > errata && at < errata_end) continue;
      if (other) continue;
      check(file, text, at, at + kSign.size());
    }
    // "protocol.md section 7" (a bare "section N" is an RFC's or the draft's).
    for (std::size_t at = text.find("protocol.md section "); at != std::string::npos;
         at = text.find("protocol.md section ", at + 1))
      check(file, text, at, at + std::string("protocol.md section ").size());
    // The protocol was once in an upper-case file at the top; not any more.
    for (std::size_t at = text.find(kOldName); at != std::string::npos;
         at = text.find(kOldName, at + 1))
      missing.insert(where(file, text, at) + ": there is no " + kOldName + " (docs/protocol.md)");
  };
  for (const fs::path& document : documents())
    scan(document, without_fences(read(document)));
  for (const fs::path& source : sources())
    scan(source, comments_of(source, read(source)));
  EXPECT_GT(checked, 50u);
  for (const std::string& item : missing)
    ADD_FAILURE() << item;
}

// --- the message table of docs/protocol.md section 1 ------------------------------------

// The cells of a Markdown table row.
std::vector<std::string> cells_of(const std::string& row) {
  std::vector<std::string> cells;
  std::size_t start = row.find('|');
  while (start != std::string::npos) {
    const std::size_t next = row.find('|', start + 1);
    if (next == std::string::npos) break;
    cells.push_back(row.substr(start + 1, next - start - 1));
    start = next;
  }
  return cells;
}

std::vector<std::string> code_spans(const std::string& text) {
  std::vector<std::string> spans;
  for (std::size_t open = text.find('`'); open != std::string::npos;) {
    const std::size_t close = text.find('`', open + 1);
    if (close == std::string::npos) break;
    spans.push_back(text.substr(open + 1, close - open - 1));
    open = text.find('`', close + 1);
  }
  return spans;
}

bool occurs_as_word(const std::string& text, const std::string& word) {
  for (std::size_t at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) {
    const bool starts = at == 0 || !is_name_char(text[at - 1]);
    const std::size_t end = at + word.size();
    if (starts && (end >= text.size() || !is_name_char(text[end]))) return true;
  }
  return false;
}

// Whether `Outer::Inner::name` is a function of this source: "Outer::Inner::name("
// occurs, or "name(" and each of Outer and Inner as words (a member defined in
// its class, an interface's virtual function).
bool defines(const std::string& source, const std::string& function) {
  if (source.find(function + "(") != std::string::npos) return true;
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const std::size_t colons = function.find("::", start);
    parts.push_back(function.substr(start, colons - start));
    if (colons == std::string::npos) break;
    start = colons + 2;
  }
  const std::string name = parts.back();
  bool found = false;
  for (std::size_t at = source.find(name + "("); at != std::string::npos && !found;
       at = source.find(name + "(", at + 1))
    found = at == 0 || !is_name_char(source[at - 1]);
  for (std::size_t i = 0; i + 1 < parts.size() && found; ++i)
    found = occurs_as_word(source, parts[i]);
  return found;
}

TEST(DocsReferences, TheMessageTableNamesFunctionsThatExist) {
  const std::string text = read(kRoot / "docs" / "protocol.md");
  const std::size_t section = text.find("\n## 1. Roles and messages");
  ASSERT_NE(section, std::string::npos);
  const std::size_t header = text.find("| # | from", section);
  ASSERT_NE(header, std::string::npos);
  const std::vector<std::string> columns =
      cells_of(text.substr(header, text.find('\n', header) - header));
  std::size_t sent_column = columns.size(), handled_column = columns.size();
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].find("sent by") != std::string::npos) sent_column = i;
    if (columns[i].find("handled by") != std::string::npos) handled_column = i;
  }
  ASSERT_LT(sent_column, columns.size()) << "the message table has no \"sent by\" column";
  ASSERT_LT(handled_column, columns.size()) << "the message table has no \"handled by\" column";

  std::set<int> messages;
  std::istringstream lines(text.substr(header));
  std::string row;
  std::getline(lines, row);  // the header
  std::getline(lines, row);  // |---|
  while (std::getline(lines, row) && row.rfind("|", 0) == 0) {
    const std::vector<std::string> cells = cells_of(row);
    ASSERT_EQ(cells.size(), columns.size()) << row;
    const int message = std::atoi(cells[0].c_str());
    messages.insert(message);
    for (std::size_t column : {sent_column, handled_column}) {
      const std::string label = "message " + std::to_string(message) + ", " +
                                (column == sent_column ? "sent by" : "handled by") + ": ";
      std::string path, source;
      int functions = 0;
      for (const std::string& span : code_spans(cells[column])) {
        if (span.find('/') != std::string::npos) {  // a file
          path = span;
          if (!fs::is_regular_file(kRoot / path)) {
            ADD_FAILURE() << label << "no such file " << path;
            source.clear();
          } else {
            source = read(kRoot / path);
          }
          continue;
        }
        ++functions;
        if (path.empty())
          ADD_FAILURE() << label << span << " comes before any file";
        else if (!source.empty() && !defines(source, span))
          ADD_FAILURE() << label << path << " has no function " << span;
      }
      EXPECT_GT(functions, 0) << label << "names no function";
    }
  }
  std::set<int> all;
  for (int n = 1; n <= 12; ++n)
    all.insert(n);
  EXPECT_EQ(messages, all) << "the table lists messages 1 to 12, once each";
}

}  // namespace
