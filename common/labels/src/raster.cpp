#include "tte/labels/raster.hpp"

#include <png.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "tte/ascii.hpp"

namespace tte::labels {
namespace {

// 5x7 glyphs, one byte per row, bit 4 the leftmost pixel.
struct Glyph {
  char c;
  std::uint8_t rows[7];
};

constexpr Glyph kFont[] = {
    {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
    {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
    {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
    {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
    {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
    {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
    {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
    {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
    {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
    {'A', {0x0E, 0x11, 0x11, 0x11, 0x1F, 0x11, 0x11}},
    {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
    {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
    {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
    {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
    {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
    {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
    {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
    {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
    {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
    {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
    {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
    {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
    {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
    {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
    {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
    {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
    {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
    {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
    {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
    {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
    {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
    {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
    {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
    {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
    {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
    {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
    {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
    {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
    {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
    {' ', {0, 0, 0, 0, 0, 0, 0}},
};

const Glyph* glyph_of(char c) {
  c = ascii::to_upper(c);
  for (const auto& glyph : kFont) {
    if (glyph.c == c) return &glyph;
  }
  return nullptr;
}

void write_to_string(png_structp png, png_bytep data, png_size_t length) {
  static_cast<std::string*>(png_get_io_ptr(png))
      ->append(reinterpret_cast<const char*>(data), length);
}

// libpng prints errors on stderr by default; ours are reported by exception.
[[noreturn]] void silent_error(png_structp png, png_const_charp) {
  png_longjmp(png, 1);
}
void silent_warning(png_structp, png_const_charp) {}

struct ReadCursor {
  const std::string* data;
  std::size_t offset;
};

void read_from_string(png_structp png, png_bytep out, png_size_t length) {
  auto* cursor = static_cast<ReadCursor*>(png_get_io_ptr(png));
  if (cursor->offset + length > cursor->data->size()) png_error(png, "truncated PNG");
  std::memcpy(out, cursor->data->data() + cursor->offset, length);
  cursor->offset += length;
}

}  // namespace

void Image::fill_rect(int x, int y, int w, int h, std::uint8_t value) {
  int x0 = std::max(0, x), y0 = std::max(0, y);
  int x1 = std::min(width, x + w), y1 = std::min(height, y + h);
  for (int yy = y0; yy < y1; ++yy) {
    std::fill(pixels.begin() + yy * width + x0, pixels.begin() + yy * width + x1, value);
  }
}

void draw_text(Image& image, int x, int y, std::string_view text, int scale) {
  for (char c : text) {
    const Glyph* glyph = glyph_of(c);
    if (glyph) {
      for (int row = 0; row < kGlyphHeight; ++row) {
        for (int column = 0; column < kGlyphWidth; ++column) {
          if (glyph->rows[row] & (0x10 >> column)) {
            image.fill_rect(x + column * scale, y + row * scale, scale, scale, 0);
          }
        }
      }
    }
    x += kGlyphAdvance * scale;
  }
}

std::string encode_png(const Image& image) {
  std::string out;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, silent_error, silent_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) throw std::runtime_error("libpng: out of memory");
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("libpng failed to write");
  }
  png_set_write_fn(png, &out, write_to_string, nullptr);
  // Labels are black and white: one bit per pixel and no row filters make the
  // PNG eight times smaller to deflate (this was most of a label's cost).
  const bool bilevel = std::all_of(image.pixels.begin(), image.pixels.end(),
                                   [](std::uint8_t p) { return p == 0 || p == 255; });
  png_set_IHDR(png, info, static_cast<png_uint_32>(image.width),
               static_cast<png_uint_32>(image.height), bilevel ? 1 : 8, PNG_COLOR_TYPE_GRAY,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (bilevel) png_set_filter(png, 0, PNG_FILTER_NONE);
  png_set_compression_level(png, 6);
  png_write_info(png, info);
  std::vector<std::uint8_t> packed(static_cast<std::size_t>((image.width + 7) / 8));
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* row = image.pixels.data() + static_cast<std::size_t>(y * image.width);
    if (!bilevel) {
      png_write_row(png, const_cast<png_bytep>(row));
      continue;
    }
    std::fill(packed.begin(), packed.end(), 0);
    for (int x = 0; x < image.width; ++x) {
      if (row[x])
        packed[static_cast<std::size_t>(x / 8)] |= static_cast<std::uint8_t>(0x80 >> (x % 8));
    }
    png_write_row(png, packed.data());
  }
  png_write_end(png, info);
  png_destroy_write_struct(&png, &info);
  return out;
}

Image decode_png(const std::string& data) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, silent_error, silent_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) throw std::runtime_error("libpng: out of memory");
  Image image;
  ReadCursor cursor{&data, 0};
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    throw std::runtime_error("not a readable PNG");
  }
  png_set_read_fn(png, &cursor, read_from_string);
  png_read_info(png, info);
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_expand(png);
  png_byte color = png_get_color_type(png, info);
  if (color == PNG_COLOR_TYPE_RGB || color == PNG_COLOR_TYPE_RGB_ALPHA ||
      color == PNG_COLOR_TYPE_PALETTE) {
    png_set_rgb_to_gray_fixed(png, 1, -1, -1);
  }
  png_read_update_info(png, info);
  image = Image(static_cast<int>(png_get_image_width(png, info)),
                static_cast<int>(png_get_image_height(png, info)));
  for (int y = 0; y < image.height; ++y) {
    png_read_row(png, image.pixels.data() + static_cast<std::size_t>(y * image.width), nullptr);
  }
  png_destroy_read_struct(&png, &info, nullptr);
  return image;
}

}  // namespace tte::labels
