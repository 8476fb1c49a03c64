// Grayscale images for PNG labels: rectangles, a built-in 5x7 bitmap font (so
// labels need no font files), PNG encoding (libpng).
#ifndef TTE_LABELS_RASTER_HPP
#define TTE_LABELS_RASTER_HPP

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tte::labels {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // 8-bit gray, row-major; 0 black, 255 white

  Image() = default;
  Image(int w, int h, std::uint8_t fill = 255)
      : width(w),
        height(h),
        pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h), fill) {}
  std::uint8_t& at(int x, int y) { return pixels[static_cast<std::size_t>(y * width + x)]; }
  std::uint8_t at(int x, int y) const { return pixels[static_cast<std::size_t>(y * width + x)]; }
  void fill_rect(int x, int y, int w, int h, std::uint8_t value);
};

// The font covers 0-9, A-Z (lower case is drawn as upper case), space, '-', ':', '.', '(', ')'.
inline constexpr int kGlyphWidth = 5, kGlyphHeight = 7, kGlyphAdvance = 6;
// Draws text with its top-left corner at (x, y), each font pixel `scale` pixels wide.
void draw_text(Image& image, int x, int y, std::string_view text, int scale);
inline int text_width(std::string_view text, int scale) {
  return text.empty() ? 0 : static_cast<int>(text.size()) * kGlyphAdvance * scale - scale;
}

// PNG bytes (8-bit grayscale). Throws std::runtime_error if libpng fails.
std::string encode_png(const Image& image);
// Reads an 8-bit grayscale or RGB(A) PNG (converted to gray). Throws on malformed input.
Image decode_png(const std::string& png);

}  // namespace tte::labels

#endif  // TTE_LABELS_RASTER_HPP
