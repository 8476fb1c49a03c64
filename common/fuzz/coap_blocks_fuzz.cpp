// Block-wise transfers (RFC 7959) as a peer drives them: random Block1 option
// values, payloads, peers and clocks into the assembler, random Block2 asks of
// a random body. Invariants: the assembler stays within its limits and a
// complete body is exactly the blocks taken in order; a Block2 slice lies
// within the body, at the asked offset or one it could reduce to.
#include <cstdint>
#include <string>

#include "fuzz_check.hpp"
#include "tte/host/coap_blocks.hpp"

using namespace tte::coap_blocks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Block1Assembler assembler(Block1Assembler::Limits{512, 4, 100});
  std::string expected[2];  // what each of two peers sent since its block 0
  std::int64_t now = 0;
  std::size_t i = 0;
  auto next = [&]() -> std::uint8_t { return i < size ? data[i++] : 0; };
  while (i + 4 <= size) {
    const std::uint8_t how = next();
    const std::uint32_t value = static_cast<std::uint32_t>(next()) << 8 | next();
    const std::size_t length = next() % 80;
    const std::uint64_t peer = how & 1;
    now += how >> 4;
    std::string payload(length, static_cast<char>('a' + i % 26));
    std::optional<Block> block = (how & 2) ? decode_block(value) : std::nullopt;
    auto outcome = assembler.add(peer, "r", block, payload, 40u, std::nullopt, now);
    FUZZ_CHECK(assembler.transfers() <= 4);
    if (!block) {
      if (outcome.step == Block1Assembler::Step::complete) FUZZ_CHECK(outcome.body == payload);
      expected[peer].clear();
      continue;
    }
    if (block->num == 0) expected[peer].clear();
    if (outcome.step == Block1Assembler::Step::complete) {
      FUZZ_CHECK(outcome.body.size() <= 512);
      if (block->num == 0)
        FUZZ_CHECK(outcome.body == payload);
      else
        FUZZ_CHECK(outcome.body == expected[peer] + payload);
      expected[peer].clear();
    } else if (outcome.step == Block1Assembler::Step::more &&
               expected[peer].size() == block->offset()) {
      expected[peer] += payload;
    }
    if (i % 7 == 0) assembler.expire(now);
  }
  // Block2: the rest of the input as a body, asked for at every size.
  std::string body(reinterpret_cast<const char*>(data), size);
  for (unsigned szx = 0; szx < 7; ++szx) {
    std::string joined;
    for (std::uint32_t num = 0; num < 5000; ++num) {
      auto part = body_part(body, Block{num, false, szx});
      FUZZ_CHECK(part.has_value());
      FUZZ_CHECK(part->block && part->data.size() <= part->block->size());
      joined.append(part->data);
      if (!part->block->more) break;
    }
    FUZZ_CHECK(joined == body);
    FUZZ_CHECK(!body_part(body, Block{static_cast<std::uint32_t>(body.size() / 16 + 2), false, 0}));
  }
  return 0;
}
