// The Device is built with -fno-exceptions, but libstdc++'s headers still call
// these when a precondition fails (string_view::substr past the end, ...).
// Defining them here keeps libstdc++'s exception machinery (and its heap use)
// out of the image: a failed precondition is a bug, and the Device traps.
namespace std {
[[noreturn]] void __throw_out_of_range_fmt(const char*, ...) {
  __builtin_trap();
}
[[noreturn]] void __throw_out_of_range(const char*) {
  __builtin_trap();
}
[[noreturn]] void __throw_length_error(const char*) {
  __builtin_trap();
}
[[noreturn]] void __throw_logic_error(const char*) {
  __builtin_trap();
}
[[noreturn]] void __throw_invalid_argument(const char*) {
  __builtin_trap();
}
[[noreturn]] void __throw_bad_alloc() {
  __builtin_trap();
}
[[noreturn]] void __throw_bad_function_call() {
  __builtin_trap();
}
}  // namespace std
