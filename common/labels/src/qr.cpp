#include "tte/labels/qr.hpp"

#include <qrencode.h>

#include <memory>

#include "tte/ascii.hpp"

namespace tte::labels {

Result<QrLevel> parse_qr_level(std::string_view text) {
  if (text.size() == 1) {
    switch (ascii::to_upper(text[0])) {
      case 'L':
        return QrLevel::L;
      case 'M':
        return QrLevel::M;
      case 'Q':
        return QrLevel::Q;
      case 'H':
        return QrLevel::H;
    }
  }
  return make_error(Errc::syntax, "QR error-correction level must be L, M, Q or H", "qr-level");
}

const char* qr_level_name(QrLevel level) {
  switch (level) {
    case QrLevel::L:
      return "L";
    case QrLevel::M:
      return "M";
    case QrLevel::Q:
      return "Q";
    case QrLevel::H:
      return "H";
  }
  return "?";
}

Result<QrCode> encode_qr(std::string_view text, QrLevel level) {
  static constexpr QRecLevel kLevels[] = {QR_ECLEVEL_L, QR_ECLEVEL_M, QR_ECLEVEL_Q, QR_ECLEVEL_H};
  // QRcode_encodeData always uses 8-bit (byte) mode, as the labels must.
  std::unique_ptr<QRcode, void (*)(QRcode*)> code(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0,
                        kLevels[static_cast<int>(level)]),
      QRcode_free);
  if (!code) return make_error(Errc::too_long, "text too long for a QR code", "qr");
  QrCode qr;
  qr.version = code->version;
  qr.size = code->width;
  qr.dark.resize(static_cast<std::size_t>(code->width) * static_cast<std::size_t>(code->width));
  for (std::size_t i = 0; i < qr.dark.size(); ++i)
    qr.dark[i] = code->data[i] & 1;
  return qr;
}

}  // namespace tte::labels
