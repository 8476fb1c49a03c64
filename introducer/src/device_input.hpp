// What an installer hands the Introducer: the Enrollment URL, the manual code
// typed from the label, or a photo or scan of the label (docs/introducer.md).
#ifndef TTE_INTRODUCER_DEVICE_INPUT_HPP
#define TTE_INTRODUCER_DEVICE_INPUT_HPP

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "tte/enrollment_url.hpp"
#include "tte/host/controller_code.hpp"

namespace tte::introducer {

enum class InputKind { url, manual_code, image, unknown };

// url: starts with https:// (any case). image: names an existing file, or
// looks like a file name (has a '/' or ends in .png/.jpg/.jpeg), so that a
// mistyped path is reported as a missing file. manual_code: anything else;
// its parser says what is wrong with it.
InputKind classify_input(std::string_view input, bool is_file);

// A device from an Enrollment URL or a manual code. Errors: the parsers'.
Result<EnrollmentUrl> device_from_text(std::string_view text, IdPolicy policy);

// Whether text (an Enrollment URL or a manual code) is valid but for naming the
// example MotherShip (MS ID 0), which only --allow-example-id accepts.
bool names_example_mothership(std::string_view text);

// The device an installer names on the command line: its Enrollment URL, its
// manual code, or an image of its label (exactly one label). Throws
// CommandFailure{exit_code::no_label} for an input that holds no valid label
// (with a hint for a mistyped code or an example label), UsageError for an
// empty input, StartupError for an image that cannot be read.
EnrollmentUrl device_from_input(const std::string& input, IdPolicy policy);

// A controller code (from `tte-controller info`) given as text or as an image
// of its QR code. Throws UsageError naming --code.
ControllerCode controller_code_from_input(const std::string& input);

// Whether text names a box rather than one Device (docs/protocol.md §13.2): an
// https:// URL whose path is the box path, or a manual code with a box code's
// length (TTB-...). Decides nothing about its validity.
bool names_a_box(std::string_view text);

// A box from its box URL or its manual code. Errors: the parsers'.
Result<BoxUrl> box_from_text(std::string_view text, IdPolicy policy);

// What `enroll` is given: one Device, or a whole box.
using EnrollTarget = std::variant<EnrollmentUrl, BoxUrl>;

// The device or the box an installer names on the command line: as
// device_from_input, and a box from its box URL, its manual code (TTB-...) or
// an image of the box label (one label: a box label, or one Device's).
EnrollTarget target_from_input(const std::string& input, IdPolicy policy);

// The TTE labels among the QR codes of an image (other codes are ignored),
// and how many more were labels of the example MotherShip that the policy refuses.
struct LabelsFound {
  std::vector<EnrollmentUrl> devices;
  std::vector<BoxUrl> boxes;
  std::size_t example_labels = 0;
};
LabelsFound labels_in(const std::vector<std::string>& qr_texts, IdPolicy policy);

// The message for an image with no label the policy accepts.
std::string no_label_message(const std::string& image, const LabelsFound& found);

// The texts of every QR code in an image file (PNG or JPEG), found by
// zxing-cpp, which copes with rotation, blur and a label amid other things.
// Throws StartupError if the file is not a readable image.
std::vector<std::string> read_qr_codes(const std::string& path);
// The same for the bytes of an image. Throws StartupError if they are not one.
std::vector<std::string> qr_codes_in(const std::string& image_bytes);

}  // namespace tte::introducer

#endif  // TTE_INTRODUCER_DEVICE_INPUT_HPP
