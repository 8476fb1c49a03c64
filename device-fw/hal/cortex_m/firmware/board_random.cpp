#include "board_random.hpp"

#include <cstring>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/sha256.h"

namespace tte::device::mps2 {
namespace {

mbedtls_ctr_drbg_context g_drbg;
bool g_ready = false;
BoardRandom g_random;

// What the DRBG is seeded with: SHA-256 blocks over the factory seed, the
// stored seed and a block counter (the DRBG asks again when it reseeds, and
// gets new blocks). A board with a TRNG returns the TRNG's output here.
struct SeedMaterial {
  std::uint8_t factory[SeedRecord::kSeedSize];
  std::uint8_t stored[SeedRecord::kSeedSize];  // zeros on the first boot
  std::uint32_t counter;
};
SeedMaterial g_material;

int entropy_input(void* context, unsigned char* out, std::size_t size) {
  auto* material = static_cast<SeedMaterial*>(context);
  while (size > 0) {
    mbedtls_sha256_context sha;
    mbedtls_sha256_init(&sha);
    std::uint8_t counter[4] = {static_cast<std::uint8_t>(material->counter >> 24),
                               static_cast<std::uint8_t>(material->counter >> 16),
                               static_cast<std::uint8_t>(material->counter >> 8),
                               static_cast<std::uint8_t>(material->counter)};
    ++material->counter;
    std::uint8_t block[32];
    const bool ok = mbedtls_sha256_starts(&sha, 0) == 0 &&
                    mbedtls_sha256_update(&sha, material->factory, sizeof material->factory) == 0 &&
                    mbedtls_sha256_update(&sha, material->stored, sizeof material->stored) == 0 &&
                    mbedtls_sha256_update(&sha, counter, sizeof counter) == 0 &&
                    mbedtls_sha256_finish(&sha, block) == 0;
    mbedtls_sha256_free(&sha);
    if (!ok) return MBEDTLS_ERR_CTR_DRBG_ENTROPY_SOURCE_FAILED;
    const std::size_t n = size < sizeof block ? size : sizeof block;
    std::memcpy(out, block, n);
    out += n;
    size -= n;
  }
  return 0;
}

}  // namespace

BoardRandom& board_random() {
  return g_random;
}

Status BoardRandom::start(ByteView factory_seed, SeedRecord& record, ByteView personalization) {
  if (factory_seed.size() != SeedRecord::kSeedSize)
    return make_error(Errc::missing, "no entropy seed in the provisioning image");
  record.load();
  // Copies: the record's seed is replaced below, and the DRBG asks again when it reseeds.
  g_material = SeedMaterial{};
  std::memcpy(g_material.factory, factory_seed.data(), sizeof g_material.factory);
  if (record.seed())
    std::memcpy(g_material.stored, record.seed()->data(), sizeof g_material.stored);
  mbedtls_ctr_drbg_init(&g_drbg);
  if (mbedtls_ctr_drbg_seed(&g_drbg, entropy_input, &g_material, personalization.data(),
                            personalization.size()) != 0) {
    return make_error(Errc::crypto, "the DRBG could not be seeded");
  }
  SeedRecord::Seed next;
  if (mbedtls_ctr_drbg_random(&g_drbg, next.data(), next.size()) != 0)
    return make_error(Errc::crypto, "the DRBG failed");
  if (!record.store(next)) return make_error(Errc::io, "the next boot's seed could not be stored");
  g_ready = true;
  return ok_status();
}

bool BoardRandom::ready() const {
  return g_ready;
}

void BoardRandom::mix(std::uint64_t observation) {
  if (!g_ready) return;
  std::uint8_t bytes[8];
  for (std::size_t i = 0; i < sizeof bytes; ++i)
    bytes[i] = static_cast<std::uint8_t>(observation >> (8 * i));
  (void)mbedtls_ctr_drbg_update(&g_drbg, bytes, sizeof bytes);
}

void BoardRandom::fill(std::uint8_t* out, std::size_t size) {
  if (!g_ready || mbedtls_ctr_drbg_random(&g_drbg, out, size) != 0) __builtin_trap();
}

std::uint32_t BoardRandom::next() {
  std::uint8_t bytes[4];
  fill(bytes, sizeof bytes);
  return static_cast<std::uint32_t>(bytes[0]) << 24 | static_cast<std::uint32_t>(bytes[1]) << 16 |
         static_cast<std::uint32_t>(bytes[2]) << 8 | bytes[3];
}

}  // namespace tte::device::mps2

// Mbed TLS's entropy source (MBEDTLS_ENTROPY_HARDWARE_ALT): the board's DRBG.
extern "C" int mbedtls_hardware_poll(void*, unsigned char* output, std::size_t size,
                                     std::size_t* produced) {
  tte::device::mps2::board_random().fill(output, size);
  *produced = size;
  return 0;
}

// lwIP's LWIP_RAND (lwipopts.h).
extern "C" unsigned long tte_board_random() {
  return tte::device::mps2::board_random().next();
}
