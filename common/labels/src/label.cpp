#include "tte/labels/label.hpp"

#include <zlib.h>

#include <cstdio>
#include <sstream>

#include "tte/manual_code.hpp"

namespace tte::labels {
namespace {

constexpr double kMillimetre = 72.0 / 25.4;  // PDF points per millimetre

// Dark runs of a QR row: calls run(x, length) for each.
template <typename Run>
void for_each_run(const QrCode& qr, int y, Run run) {
  for (int x = 0; x < qr.size;) {
    if (!qr.is_dark(x, y)) {
      ++x;
      continue;
    }
    int start = x;
    while (x < qr.size && qr.is_dark(x, y))
      ++x;
    run(start, x - start);
  }
}

// Draws the code's dark modules, its quiet zone's top-left corner at (left, 0).
void draw_qr(Image& image, const QrCode& qr, int left, int module_px) {
  for (int y = 0; y < qr.size; ++y) {
    for_each_run(qr, y, [&](int x, int length) {
      image.fill_rect(left + (x + kQuietZone) * module_px, (y + kQuietZone) * module_px,
                      length * module_px, module_px, 0);
    });
  }
}

std::string upper(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

std::string deflate(const std::string& data) {
  uLongf size = compressBound(static_cast<uLong>(data.size()));
  std::string out(size, '\0');
  compress2(reinterpret_cast<Bytef*>(out.data()), &size,
            reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()), 6);
  out.resize(size);
  return out;
}

// Text in an XML document (the SVG's title and lines): a URL's '&' included.
std::string xml_escape(const std::string& text) {
  std::string out;
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
      default:
        out += c;
    }
  }
  return out;
}

// A PDF literal string's contents: '(', ')' and '\\' escaped (ISO 32000 7.3.4.2).
std::string pdf_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

}  // namespace

// Message 3 (draft §2; docs/protocol.md §3, §4): what the installer reads, the Enrollment URL as
// a QR code and the manual code beneath it.
Result<Label> make_label(const EnrollmentUrl& device, QrLevel level) {
  Label label;
  label.url = std::string(device.to_string().view());
  TTE_ASSIGN_OR_RETURN(label.qr, encode_qr(label.url, level));
  std::string code(manual_code::encode(device).view());
  // "TTE-XXXX-XXXX-XXXX" and "XXXX-XXXX-XXXX-C": two short lines print larger.
  label.lines = {"DEV ID " + upper(std::string(device.dev_id().to_string().view())),
                 code.substr(0, 18), code.substr(19)};
  return label;
}

// Bulk enrollment (draft §5.2; docs/protocol.md §13.2): the box URL as a QR code, the range of
// Dev IDs it maps, the box's manual code and the MotherShip it belongs to.
Result<Label> make_box_label(const BoxUrl& box, QrLevel level) {
  Label label;
  label.url = std::string(box.to_string().view());
  TTE_ASSIGN_OR_RETURN(label.qr, encode_qr(label.url, level));
  const DevId last(box.first().value() + (box.count() - 1));
  std::string code(manual_code::encode_box(box).view());
  // "TTB-XXXX-XXXX-XXXX-XXXX-XXXX" and "XXXX-XXXX-XXXX-XXXX-XXXX-C".
  label.lines = {"Dev IDs " + std::string(box.first().to_string().view()) + "-" +
                     std::string(last.to_string().view()) + " (" + std::to_string(box.count()) +
                     ")",
                 code.substr(0, 28), code.substr(29), std::string(box.ms_id().host().view())};
  return label;
}

Image render_png(const Label& label, int module_px) {
  const int qr_px = (label.qr.size + 2 * kQuietZone) * module_px;
  std::size_t longest = 0;
  for (const auto& line : label.lines)
    longest = std::max(longest, line.size());
  // The largest font scale that fits the QR code's width, at most 3.
  int scale = 3;
  while (scale > 1 && text_width(std::string(longest, 'M'), scale) > qr_px - 2 * module_px)
    --scale;
  const int line_height = (kGlyphHeight + 3) * scale;
  Image image(std::max(qr_px, text_width(std::string(longest, 'M'), scale) + 2 * module_px),
              qr_px + static_cast<int>(label.lines.size()) * line_height + module_px);
  draw_qr(image, label.qr, (image.width - qr_px) / 2, module_px);
  int y = qr_px;
  for (const auto& line : label.lines) {
    draw_text(image, (image.width - text_width(line, scale)) / 2, y, line, scale);
    y += line_height;
  }
  return image;
}

Image render_qr(const QrCode& qr, int module_px) {
  const int side = (qr.size + 2 * kQuietZone) * module_px;
  Image image(side, side, 255);
  draw_qr(image, qr, 0, module_px);
  return image;
}

std::string render_svg(const Label& label) {
  const int side = label.qr.size + 2 * kQuietZone;
  const double text_height = 4.0;  // modules per text line
  const double height = side + text_height * static_cast<double>(label.lines.size()) + 1;
  std::ostringstream svg;
  svg << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << side * 0.5 << "mm\" height=\""
      << height * 0.5 << "mm\" viewBox=\"0 0 " << side << " " << height << "\">\n"
      << "<title>" << xml_escape(label.url) << "</title>\n"
      << "<rect width=\"" << side << "\" height=\"" << height
      << "\" fill=\"#fff\"/>\n<path fill=\"#000\" d=\"";
  for (int y = 0; y < label.qr.size; ++y) {
    for_each_run(label.qr, y, [&](int x, int length) {
      svg << "M" << x + kQuietZone << " " << y + kQuietZone << "h" << length << "v1h-" << length
          << "z";
    });
  }
  svg << "\"/>\n";
  double y = side + text_height * 0.75;
  for (const auto& line : label.lines) {
    svg << "<text x=\"" << side / 2.0 << "\" y=\"" << y
        << "\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"3\" text-anchor=\"middle\">"
        << xml_escape(line) << "</text>\n";
    y += text_height;
  }
  svg << "</svg>\n";
  return svg.str();
}

struct PdfSheet::Writer {
  std::string body = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  std::vector<std::size_t> offsets;  // byte offset of object n at [n - 1]
  std::vector<int> pages;            // object numbers of the pages
  std::string content;               // the current page's content stream
  std::vector<int> images;           // the current page's image objects

  int add_object(const std::string& object) {
    offsets.push_back(body.size());
    int id = static_cast<int>(offsets.size());
    body += std::to_string(id) + " 0 obj\n" + object + "\nendobj\n";
    return id;
  }
  int reserve() {
    offsets.push_back(0);
    return static_cast<int>(offsets.size());
  }
  void set(int id, const std::string& object) {
    offsets[static_cast<std::size_t>(id - 1)] = body.size();
    body += std::to_string(id) + " 0 obj\n" + object + "\nendobj\n";
  }
  std::string stream(const std::string& dictionary, const std::string& data) {
    std::string packed = deflate(data);
    return "<< " + dictionary + " /Filter /FlateDecode /Length " + std::to_string(packed.size()) +
           " >>\nstream\n" + packed + "\nendstream";
  }
  void end_page() {
    if (images.empty()) return;
    std::string resources = "<< /Font << /F1 3 0 R >> /XObject << ";
    for (std::size_t i = 0; i < images.size(); ++i) {
      resources += "/Q" + std::to_string(i) + " " + std::to_string(images[i]) + " 0 R ";
    }
    resources += ">> >>";
    int contents = add_object(stream("", content));
    pages.push_back(
        add_object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Resources " +
                   resources + " /Contents " + std::to_string(contents) + " 0 R >>"));
    content.clear();
    images.clear();
  }
};

PdfSheet::PdfSheet() : writer_(std::make_unique<Writer>()) {
  writer_->reserve();                                                           // 1: catalog
  writer_->reserve();                                                           // 2: page tree
  writer_->add_object("<< /Type /Font /Subtype /Type1 /BaseFont /Courier >>");  // 3
}

PdfSheet::~PdfSheet() = default;

void PdfSheet::add(const Label& label) {
  Writer& w = *writer_;
  const std::size_t slot = count_ % (kColumns * kRows);
  if (slot == 0 && count_ > 0) w.end_page();
  ++count_;
  // The code as a 1-bit image, quiet zone included: 0 is black, 1 white, rows top down.
  const int side = label.qr.size + 2 * kQuietZone;
  const int row_bytes = (side + 7) / 8;
  std::string bits(static_cast<std::size_t>(row_bytes * side), '\xff');
  for (int y = 0; y < label.qr.size; ++y) {
    for (int x = 0; x < label.qr.size; ++x) {
      if (!label.qr.is_dark(x, y)) continue;
      int px = x + kQuietZone, py = y + kQuietZone;
      bits[static_cast<std::size_t>(py * row_bytes + px / 8)] &=
          static_cast<char>(~(0x80 >> (px % 8)));
    }
  }
  int image = w.add_object(w.stream(
      "/Type /XObject /Subtype /Image /Width " + std::to_string(side) + " /Height " +
          std::to_string(side) + " /ColorSpace /DeviceGray /BitsPerComponent 1 /Interpolate false",
      bits));
  const std::string name = "/Q" + std::to_string(w.images.size());
  w.images.push_back(image);

  // Cells of 63 x 45 mm from the top-left of a 10 mm margin.
  const double cell_width = 63 * kMillimetre, cell_height = 45 * kMillimetre,
               margin = 10 * kMillimetre;
  const int column = static_cast<int>(slot % kColumns), row = static_cast<int>(slot / kColumns);
  const double qr_size = 30 * kMillimetre;
  const double left = margin + column * cell_width + (cell_width - qr_size) / 2;
  const double top = 841.89 - margin - row * cell_height;
  w.content += "q " + number(qr_size) + " 0 0 " + number(qr_size) + " " + number(left) + " " +
               number(top - qr_size) + " cm " + name + " Do Q\n";
  double y = top - qr_size - 9;
  for (const auto& line : label.lines) {
    const double font = 7.5,
                 width = 0.6 * font * static_cast<double>(line.size());  // Courier: 0.6 em
    w.content += "BT /F1 " + number(font) + " Tf " +
                 number(margin + column * cell_width + (cell_width - width) / 2) + " " + number(y) +
                 " Td (" + pdf_escape(line) + ") Tj ET\n";
    y -= 9;
  }
}

std::string PdfSheet::finish() {
  Writer& w = *writer_;
  w.end_page();
  std::string kids;
  for (int page : w.pages)
    kids += std::to_string(page) + " 0 R ";
  w.set(1, "<< /Type /Catalog /Pages 2 0 R >>");
  w.set(2, "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(w.pages.size()) + " >>");
  std::size_t xref = w.body.size();
  std::string table = "xref\n0 " + std::to_string(w.offsets.size() + 1) + "\n0000000000 65535 f \n";
  char entry[32];
  for (std::size_t offset : w.offsets) {
    std::snprintf(entry, sizeof entry, "%010zu 00000 n \n", offset);
    table += entry;
  }
  w.body += table + "trailer\n<< /Size " + std::to_string(w.offsets.size() + 1) +
            " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return std::move(w.body);
}

}  // namespace tte::labels
