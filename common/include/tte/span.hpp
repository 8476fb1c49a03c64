// A minimal non-owning view of contiguous elements, for C++17 firmware builds
// that have no std::span.
#ifndef TTE_SPAN_HPP
#define TTE_SPAN_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace tte {

template <typename T>
class Span {
 public:
  constexpr Span() = default;
  constexpr Span(T* data, std::size_t size) : data_(data), size_(size) {}
  template <std::size_t N>
  constexpr Span(T (&array)[N]) : data_(array), size_(N) {}  // NOLINT
  template <typename U, std::size_t N,
            typename = std::enable_if_t<std::is_convertible_v<U (*)[], T (*)[]>>>
  constexpr Span(std::array<U, N>& array) : data_(array.data()), size_(N) {}  // NOLINT
  template <typename U, std::size_t N,
            typename = std::enable_if_t<std::is_convertible_v<const U (*)[], T (*)[]>>>
  constexpr Span(const std::array<U, N>& array) : data_(array.data()), size_(N) {}  // NOLINT
  // Any contiguous container with data() and size() (std::vector, std::string, ...).
  template <typename C,
            typename = std::enable_if_t<
                !std::is_array_v<std::remove_reference_t<C>> &&
                std::is_convertible_v<
                    std::remove_pointer_t<decltype(std::declval<C&>().data())> (*)[], T (*)[]>>,
            typename = decltype(std::declval<C&>().size())>
  constexpr Span(C&& container)  // NOLINT
      : data_(container.data()), size_(container.size()) {}
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U (*)[], T (*)[]>>>
  constexpr Span(Span<U> other) : data_(other.data()), size_(other.size()) {}  // NOLINT

  constexpr T* data() const { return data_; }
  constexpr std::size_t size() const { return size_; }
  constexpr bool empty() const { return size_ == 0; }
  constexpr T& operator[](std::size_t i) const { return data_[i]; }
  constexpr T* begin() const { return data_; }
  constexpr T* end() const { return data_ + size_; }
  // Elements [offset, offset + count); count is clipped to the end.
  constexpr Span subspan(std::size_t offset,
                         std::size_t count = static_cast<std::size_t>(-1)) const {
    if (offset > size_) offset = size_;
    if (count > size_ - offset) count = size_ - offset;
    return Span(data_ + offset, count);
  }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

using ByteView = Span<const std::uint8_t>;
using MutableByteView = Span<std::uint8_t>;

// Constant-time equality of two byte ranges of equal length (lengths are not secret).
bool equal_constant_time(ByteView a, ByteView b);

}  // namespace tte

#endif  // TTE_SPAN_HPP
