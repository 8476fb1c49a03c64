// Provisioning images: decoding never reads past the input, and what decodes
// re-encodes to the same bytes.
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.hpp"
#include "tte/provisioning_image.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto image =
      tte::ProvisioningImage::decode(tte::ByteView(data, size), tte::IdPolicy::allow_example);
  if (!image.ok()) return 0;
  std::vector<std::uint8_t> buffer(tte::ProvisioningImage::kMaxSize);
  auto encoded = image->encode(buffer);
  FUZZ_CHECK(encoded.ok());
  FUZZ_CHECK(encoded->size() <= size && std::memcmp(encoded->data(), data, encoded->size()) == 0);
  return 0;
}
