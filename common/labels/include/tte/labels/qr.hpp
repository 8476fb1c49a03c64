// QR codes for labels (libqrencode, byte mode).
#ifndef TTE_LABELS_QR_HPP
#define TTE_LABELS_QR_HPP

#include <cstdint>
#include <string_view>
#include <vector>

#include "tte/result.hpp"

namespace tte::labels {

enum class QrLevel : std::uint8_t { L, M, Q, H };
// "L", "M", "Q", "H" (any case). Errors: syntax.
Result<QrLevel> parse_qr_level(std::string_view text);
const char* qr_level_name(QrLevel level);

struct QrCode {
  int version = 0;
  int size = 0;                    // modules per side, without the quiet zone
  std::vector<std::uint8_t> dark;  // size * size, row-major, 1 = dark

  bool is_dark(int x, int y) const { return dark[static_cast<std::size_t>(y * size + x)] != 0; }
};

// The smallest QR code (byte mode) holding text at the level. Errors: too_long, internal.
Result<QrCode> encode_qr(std::string_view text, QrLevel level);

// The quiet zone every TTE label keeps around the code, in modules.
inline constexpr int kQuietZone = 4;

}  // namespace tte::labels

#endif  // TTE_LABELS_QR_HPP
