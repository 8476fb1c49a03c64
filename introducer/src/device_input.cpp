#define ZX_USE_UTF8
#include "device_input.hpp"

#include <ZXing/ReadBarcode.h>
#include <jpeglib.h>

#include <csetjmp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>

#include "mothership_client.hpp"
#include "tte/ascii.hpp"
#include "tte/labels/raster.hpp"
#include "tte/manual_code.hpp"
#include "tte/platform/command_line.hpp"
#include "tte/platform/files.hpp"
#include "tte/platform/startup_error.hpp"

namespace tte::introducer {
namespace {

bool looks_like_path(std::string_view text) {
  if (text.find('/') != std::string_view::npos) return true;
  for (std::string_view suffix : {".png", ".jpg", ".jpeg"}) {
    if (text.size() > suffix.size() &&
        ascii::equals_ignoring_case(text.substr(text.size() - suffix.size()), suffix)) {
      return true;
    }
  }
  return false;
}

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

[[noreturn]] void on_jpeg_error(j_common_ptr info) {
  std::longjmp(reinterpret_cast<JpegError*>(info->err)->jump, 1);
}

labels::Image decode_jpeg(const std::string& data) {
  jpeg_decompress_struct info;
  JpegError error;
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = on_jpeg_error;
  labels::Image image;
  if (setjmp(error.jump)) {
    jpeg_destroy_decompress(&info);
    throw StartupError("not a readable JPEG");
  }
  jpeg_create_decompress(&info);
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(data.data()),
               static_cast<unsigned long>(data.size()));
  jpeg_read_header(&info, TRUE);
  info.out_color_space = JCS_GRAYSCALE;
  jpeg_start_decompress(&info);
  image = labels::Image(static_cast<int>(info.output_width), static_cast<int>(info.output_height));
  while (info.output_scanline < info.output_height) {
    JSAMPROW row =
        image.pixels.data() + static_cast<std::size_t>(info.output_scanline) * info.output_width;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return image;
}

}  // namespace

InputKind classify_input(std::string_view input, bool is_file) {
  if (ascii::starts_with_ignoring_case(input, "https://")) return InputKind::url;
  if (is_file || looks_like_path(input)) return InputKind::image;
  if (input.empty()) return InputKind::unknown;
  return InputKind::manual_code;
}

// Message 3 (draft §2; docs/protocol.md §3, §4): the device from a scanned or typed text, an
// Enrollment URL or a manual code.
Result<EnrollmentUrl> device_from_text(std::string_view text, IdPolicy policy) {
  if (ascii::starts_with_ignoring_case(text, "https://")) return EnrollmentUrl::parse(text, policy);
  return manual_code::decode(text, policy);
}

bool names_example_mothership(std::string_view text) {
  auto device = device_from_text(text, IdPolicy::allow_example);
  return device.ok() && device->ms_id().is_example();
}

// Message 3 (draft §2; docs/protocol.md §3): the TTE labels among the QR codes of a photo.
LabelsFound labels_in(const std::vector<std::string>& qr_texts, IdPolicy policy) {
  LabelsFound found;
  for (const auto& text : qr_texts) {
    if (names_a_box(text)) {
      auto box = BoxUrl::parse(text, policy);
      if (box.ok()) {
        found.boxes.push_back(box.value());
      } else if (box.error().code == Errc::reserved && policy == IdPolicy::operational) {
        auto example = BoxUrl::parse(text, IdPolicy::allow_example);
        if (example.ok() && example->ms_id().is_example()) ++found.example_labels;
      }
      continue;
    }
    auto device = EnrollmentUrl::parse(text, policy);
    if (device.ok()) {
      found.devices.push_back(device.value());
    } else if (device.error().code == Errc::reserved && policy == IdPolicy::operational) {
      auto example = EnrollmentUrl::parse(text, IdPolicy::allow_example);
      if (example.ok() && example->ms_id().is_example()) ++found.example_labels;
    }
  }
  return found;
}

std::string no_label_message(const std::string& image, const LabelsFound& found) {
  if (found.example_labels == 0) return "no TTE label found in " + image;
  return image + (found.example_labels == 1 ? " shows a label" : " shows labels") +
         " of the reserved example MotherShip (MS ID 0, tte-000000.net), which real systems "
         "refuse: give --allow-example-id to read it (demos and tests only)";
}

bool names_a_box(std::string_view text) {
  if (ascii::starts_with_ignoring_case(text, "https://")) {
    std::string_view rest = text.substr(8);
    std::size_t slash = rest.find('/');
    if (slash == std::string_view::npos) return false;
    std::string_view path = rest.substr(slash);
    return path.substr(0, path.find('?')) == kBoxPath;
  }
  return manual_code::looks_like_box_code(text);
}

Result<BoxUrl> box_from_text(std::string_view text, IdPolicy policy) {
  if (ascii::starts_with_ignoring_case(text, "https://")) return BoxUrl::parse(text, policy);
  return manual_code::decode_box(text, policy);
}

EnrollTarget target_from_input(const std::string& input, IdPolicy policy) {
  const bool is_file = std::filesystem::is_regular_file(input);
  const InputKind kind = classify_input(input, is_file);
  if ((kind == InputKind::url || kind == InputKind::manual_code) && names_a_box(input)) {
    auto box = box_from_text(input, policy);
    if (box.ok()) return box.value();
    const Error& e = box.error();
    auto example = box_from_text(input, IdPolicy::allow_example);
    std::string hint = e.code == Errc::checksum ? " (check the characters you typed)"
                       : e.code == Errc::reserved && policy == IdPolicy::operational &&
                               example.ok() && example->ms_id().is_example()
                           ? " (example labels need --allow-example-id)"
                           : "";
    throw CommandFailure{
        exit_code::no_label,
        std::string(kind == InputKind::url ? "not a valid box URL: " : "not a valid box code: ") +
            (e.field ? std::string(e.field) + ": " : "") + e.message + hint};
  }
  if (kind == InputKind::image) {
    LabelsFound found = labels_in(read_qr_codes(input), policy);
    const std::size_t labels = found.devices.size() + found.boxes.size();
    if (labels == 0) throw CommandFailure{exit_code::no_label, no_label_message(input, found)};
    if (labels > 1) {
      throw CommandFailure{exit_code::no_label, input + " shows " + std::to_string(labels) +
                                                    " TTE labels: photograph one, or give its URL"};
    }
    if (!found.boxes.empty()) return found.boxes[0];
    return found.devices[0];
  }
  return device_from_input(input, policy);
}

EnrollmentUrl device_from_input(const std::string& input, IdPolicy policy) {
  const bool is_file = std::filesystem::is_regular_file(input);
  const InputKind kind = classify_input(input, is_file);
  if (kind == InputKind::url || kind == InputKind::manual_code) {
    auto device = device_from_text(input, policy);
    if (device.ok()) return device.value();
    const Error& e = device.error();
    std::string hint = e.code == Errc::checksum ? " (check the characters you typed)"
                       : e.code == Errc::reserved && policy == IdPolicy::operational &&
                               names_example_mothership(input)
                           ? " (example labels need --allow-example-id)"
                           : "";
    if (kind == InputKind::manual_code) {
      throw CommandFailure{exit_code::no_label,
                           std::string("not a valid manual code: ") + e.message + hint};
    }
    throw CommandFailure{exit_code::no_label, std::string("not a valid Enrollment URL: ") +
                                                  (e.field ? std::string(e.field) + ": " : "") +
                                                  e.message + hint};
  }
  if (kind == InputKind::image) {
    LabelsFound found = labels_in(read_qr_codes(input), policy);
    const std::vector<EnrollmentUrl>& devices = found.devices;
    if (devices.empty()) throw CommandFailure{exit_code::no_label, no_label_message(input, found)};
    if (devices.size() > 1) {
      throw CommandFailure{exit_code::no_label, input + " shows " + std::to_string(devices.size()) +
                                                    " TTE labels: photograph one, or give its URL"};
    }
    return devices[0];
  }
  throw UsageError(
      "say which device: its Enrollment URL, an image of its label, or its manual code");
}

ControllerCode controller_code_from_input(const std::string& input) {
  std::vector<std::string> candidates;
  if (std::filesystem::is_regular_file(input)) {
    candidates = read_qr_codes(input);
  } else {
    candidates.push_back(input);
  }
  std::optional<Error> last;
  for (const auto& text : candidates) {
    auto code = ControllerCode::parse(text);
    if (code.ok()) return code.value();
    last = code.error();
  }
  if (candidates.empty() || !last) throw UsageError("--code: no controller code in " + input);
  throw UsageError(std::string("--code: not a controller code: ") +
                   (last->field ? std::string(last->field) + ": " : "") + last->message);
}

std::vector<std::string> read_qr_codes(const std::string& path) {
  std::string data = read_file(path);
  try {
    return qr_codes_in(data);
  } catch (const StartupError&) {
    throw StartupError(path + " is not a PNG or JPEG image");
  }
}

std::vector<std::string> qr_codes_in(const std::string& data) {
  labels::Image image;
  const bool jpeg = data.size() > 3 && static_cast<unsigned char>(data[0]) == 0xff &&
                    static_cast<unsigned char>(data[1]) == 0xd8;
  try {
    image = jpeg ? decode_jpeg(data) : labels::decode_png(data);
  } catch (const std::exception&) {
    throw StartupError("not a PNG or JPEG image");
  }
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(true);
  hints.setTryDownscale(true);
  auto results = ZXing::ReadBarcodes(
      ZXing::ImageView(image.pixels.data(), image.width, image.height, ZXing::ImageFormat::Lum),
      hints);
  std::vector<std::string> texts;
  for (const auto& result : results) {
    if (!result.isValid()) continue;
    const auto& bytes = result.bytes();
    texts.emplace_back(bytes.begin(), bytes.end());
  }
  return texts;
}

}  // namespace tte::introducer
