// FixedString<N>: a string of at most N characters stored inline, for code that
// must not allocate (the Device). Always NUL-terminated.
#ifndef TTE_FIXED_STRING_HPP
#define TTE_FIXED_STRING_HPP

#include <cstddef>
#include <cstring>
#include <string_view>

namespace tte {

template <std::size_t N>
class FixedString {
 public:
  static constexpr std::size_t capacity = N;

  constexpr FixedString() = default;

  // Appends as much as fits; returns false (and appends nothing) if it does not fit.
  bool append(std::string_view text) {
    if (text.size() > N - size_) return false;
    std::memcpy(data_ + size_, text.data(), text.size());
    size_ += text.size();
    data_[size_] = '\0';
    return true;
  }
  bool push_back(char c) {
    if (size_ == N) return false;
    data_[size_++] = c;
    data_[size_] = '\0';
    return true;
  }
  void clear() {
    size_ = 0;
    data_[0] = '\0';
  }

  // Builds a FixedString from text, or returns false if it is longer than N.
  static bool assign(FixedString& out, std::string_view text) {
    out.clear();
    return out.append(text);
  }

  std::string_view view() const { return std::string_view(data_, size_); }
  const char* c_str() const { return data_; }
  const char* data() const { return data_; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  char operator[](std::size_t i) const { return data_[i]; }

  friend bool operator==(const FixedString& a, const FixedString& b) {
    return a.view() == b.view();
  }
  friend bool operator!=(const FixedString& a, const FixedString& b) { return !(a == b); }
  friend bool operator==(const FixedString& a, std::string_view b) { return a.view() == b; }
  friend bool operator!=(const FixedString& a, std::string_view b) { return a.view() != b; }

 private:
  char data_[N + 1] = {};
  std::size_t size_ = 0;
};

// Appends the decimal digits of value; returns false (appending nothing) if they do not fit.
template <std::size_t N>
bool append_decimal(FixedString<N>& text, unsigned long long value) {
  char digits[20];
  std::size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  char ordered[20];
  for (std::size_t i = 0; i < n; ++i)
    ordered[i] = digits[n - 1 - i];
  return text.append(std::string_view(ordered, n));
}

}  // namespace tte

#endif  // TTE_FIXED_STRING_HPP
