// Result<T>: the one error vocabulary of TTE.
//
// Every fallible operation returns Result<T> (or Result<void>). The type is
// usable on the Device: no exceptions, no RTTI, no heap. Error messages are
// static strings so that an Error can be copied anywhere for free; callers that
// need dynamic context (a file name, a SQLite message) log it next to the Error
// rather than inside it.
#ifndef TTE_RESULT_HPP
#define TTE_RESULT_HPP

#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>

namespace tte {

// Why something failed. The set is small on purpose: request handlers map each
// code to one protocol status (common/host/include/tte/host/status.hpp; the
// statuses in docs/protocol.md §5.2, §5.3 and §8).
enum class Errc : std::uint8_t {
  syntax = 1,    // malformed text or bytes
  out_of_range,  // a number outside its allowed range
  reserved,      // a value the protocol reserves (MS ID 0, non-zero MS ID high byte)
  missing,       // a required field or parameter is absent
  duplicate,     // a field or parameter given twice, or a Dev ID already taken
  too_long,      // input or output exceeds a fixed capacity
  checksum,      // a check character, checksum or CRC does not match
  unsupported,   // well-formed, but not something this implementation accepts
  not_found,     // no such device, file or record
  forbidden,     // authentication or authorisation failed (wrong OTP, wrong key, bad token)
  already_used,  // the OTP has already mapped the device
  revoked,       // the device has been revoked by its manufacturer
  throttled,     // too many attempts; try again later
  unavailable,   // the answer is not there yet (device not mapped); try again later
  io,            // a file, socket or database operation failed
  crypto,        // a cryptographic library call failed
  internal,      // a broken invariant; a bug
};

// A stable lower-case name for an error code ("syntax", "out_of_range", ...).
const char* errc_name(Errc code);

struct Error {
  Errc code;
  const char* message;          // static, human-readable, no trailing period
  const char* field = nullptr;  // static name of the offending field, if any
};

constexpr Error make_error(Errc code, const char* message, const char* field = nullptr) {
  return Error{code, message, field};
}

[[noreturn]] void result_access_failure(const char* what);

template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T>, "Result<T&> is not supported");
  static_assert(!std::is_same_v<std::remove_cv_t<T>, Error>, "Result<Error> is ambiguous");

 public:
  using value_type = T;

  Result(const T& value) : ok_(true) { new (&value_) T(value); }           // NOLINT
  Result(T&& value) : ok_(true) { new (&value_) T(std::move(value)); }     // NOLINT
  Result(const Error& error) : ok_(false) { new (&error_) Error(error); }  // NOLINT

  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Error> &&
                                                    !std::is_same_v<std::decay_t<U>, Result>>>
  Result(U&& value) : ok_(true) {  // NOLINT
    new (&value_) T(std::forward<U>(value));
  }

  Result(const Result& other) : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(other.value_);
    } else {
      new (&error_) Error(other.error_);
    }
  }
  Result(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(std::move(other.value_));
    } else {
      new (&error_) Error(other.error_);
    }
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      destroy();
      ok_ = other.ok_;
      if (ok_) {
        new (&value_) T(other.value_);
      } else {
        new (&error_) Error(other.error_);
      }
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &other) {
      destroy();
      ok_ = other.ok_;
      if (ok_) {
        new (&value_) T(std::move(other.value_));
      } else {
        new (&error_) Error(other.error_);
      }
    }
    return *this;
  }
  ~Result() { destroy(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }

  T& value() & {
    if (!ok_) result_access_failure(error_.message);
    return value_;
  }
  const T& value() const& {
    if (!ok_) result_access_failure(error_.message);
    return value_;
  }
  T&& value() && {
    if (!ok_) result_access_failure(error_.message);
    return std::move(value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return ok_ ? value_ : static_cast<T>(std::forward<U>(fallback));
  }

  const Error& error() const {
    if (ok_) result_access_failure("error() on a successful Result");
    return error_;
  }

 private:
  void destroy() {
    if (ok_) value_.~T();
  }

  bool ok_;
  union {
    T value_;
    Error error_;
  };
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : ok_(true), error_{Errc::internal, "", nullptr} {}
  Result(const Error& error) : ok_(false), error_(error) {}  // NOLINT

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    if (ok_) result_access_failure("error() on a successful Result");
    return error_;
  }

 private:
  bool ok_;
  Error error_;
};

using Status = Result<void>;

inline Status ok_status() {
  return Status();
}

}  // namespace tte

#define TTE_CONCAT_INNER_(a, b) a##b
#define TTE_CONCAT_(a, b) TTE_CONCAT_INNER_(a, b)

// Returns the error of a failed Result from the enclosing function.
#define TTE_TRY(expr) TTE_TRY_IMPL_(TTE_CONCAT_(tte_try_result_, __COUNTER__), expr)
#define TTE_TRY_IMPL_(tmp, expr)       \
  do {                                 \
    auto&& tmp = (expr);               \
    if (!tmp.ok()) return tmp.error(); \
  } while (0)

// Declares `lhs` from a successful Result, or returns its error.
#define TTE_ASSIGN_OR_RETURN(lhs, expr) \
  TTE_ASSIGN_OR_RETURN_IMPL_(TTE_CONCAT_(tte_result_, __COUNTER__), lhs, expr)
#define TTE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.error();               \
  lhs = std::move(tmp).value()

#endif  // TTE_RESULT_HPP
