// CBOR: skip() never reads past the input; an enrollment answer that decodes
// re-encodes to bytes that decode to the same answer.
#include <cstdint>

#include "fuzz_check.hpp"
#include "tte/cbor.hpp"
#include "tte/enrollment_answer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  tte::ByteView input(data, size);
  tte::cbor::Reader reader(input);
  while (!reader.at_end()) {
    std::size_t before = reader.position();
    if (!reader.skip().ok()) break;
    FUZZ_CHECK(reader.position() > before && reader.position() <= size);
  }
  auto answer = tte::EnrollmentAnswer::decode_cbor(input);
  if (answer.ok()) {
    std::uint8_t buffer[tte::EnrollmentAnswer::kMaxEncodedSize];
    auto encoded = answer->encode_cbor(buffer);
    FUZZ_CHECK(encoded.ok());
    auto again = tte::EnrollmentAnswer::decode_cbor(*encoded);
    FUZZ_CHECK(again.ok() && *again == *answer);
  }
  return 0;
}
