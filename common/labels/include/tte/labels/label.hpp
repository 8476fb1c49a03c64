// A device's label (docs/factory.md): the QR code of its Enrollment URL with a
// quiet zone of 4 modules, and beneath it the Dev ID and the manual code, as
// PNG, as SVG, and many to a page in a PDF sheet. A box's label the same way,
// with the box URL and the box's range and manual code. Also a QR code alone,
// drawn the same way.
#ifndef TTE_LABELS_LABEL_HPP
#define TTE_LABELS_LABEL_HPP

#include <memory>
#include <string>
#include <vector>

#include "tte/enrollment_url.hpp"
#include "tte/labels/qr.hpp"
#include "tte/labels/raster.hpp"

namespace tte::labels {

struct Label {
  std::string url;  // the canonical Enrollment URL (or box URL), as encoded
  QrCode qr;
  // Printed beneath: "DEV ID ABCDEF01", the manual code on two lines; for a box
  // "Dev IDs 00001000-00001017 (24)", the box's manual code on two lines and the
  // MotherShip's host.
  std::vector<std::string> lines;
};

// Errors: those of encode_qr.
Result<Label> make_label(const EnrollmentUrl& device, QrLevel level);
// A box's label (docs/protocol.md §13.2): as secret as its Devices' labels, for
// it carries the box key. Errors: those of encode_qr.
Result<Label> make_box_label(const BoxUrl& box, QrLevel level);

// The label as an image, each QR module module_px pixels wide.
Image render_png(const Label& label, int module_px);
// A QR code alone with its quiet zone (a Controller's code), each module
// module_px pixels wide: dark modules 0, the rest 255.
Image render_qr(const QrCode& qr, int module_px);
// The label as SVG, each module 0.5 mm (about 32 mm wide at version 10).
std::string render_svg(const Label& label);

// Labels on A4 pages, 3 across and 6 down, the QR code 30 mm wide; the codes
// are drawn as 1-bit images, so a page of 18 labels takes about 15 KB.
class PdfSheet {
 public:
  PdfSheet();
  ~PdfSheet();
  void add(const Label& label);
  std::size_t labels() const { return count_; }
  std::string finish();  // the whole document

  static constexpr int kColumns = 3;
  static constexpr int kRows = 6;

 private:
  struct Writer;
  std::unique_ptr<Writer> writer_;
  std::size_t count_ = 0;
};

}  // namespace tte::labels

#endif  // TTE_LABELS_LABEL_HPP
