#include "tte/host/coap_blocks.hpp"

#include <gtest/gtest.h>

#include <string>

namespace tte::coap_blocks {
namespace {

using Step = Block1Assembler::Step;

TEST(BlockOption, DecodesAndEncodesRfc7959Values) {
  // RFC 7959 section 2.2: NUM << 4 | M << 3 | SZX.
  auto block = decode_block(0x2A);  // NUM 2, M 1, SZX 2 (64 bytes)
  ASSERT_TRUE(block);
  EXPECT_EQ(block->num, 2u);
  EXPECT_TRUE(block->more);
  EXPECT_EQ(block->size(), 64u);
  EXPECT_EQ(block->offset(), 128u);
  EXPECT_EQ(encode_block(*block), 0x2Au);
  EXPECT_EQ(encode_block(Block{0xFFFFF, false, 6}), 0xFFFFF6u);
  EXPECT_FALSE(decode_block(0x07));        // SZX 7: BERT, not on UDP
  EXPECT_FALSE(decode_block(0x1000000u));  // more than three bytes
}

TEST(BodyPart, SmallBodyWithoutBlock2IsSentWhole) {
  auto part = body_part("</light>", std::nullopt);
  ASSERT_TRUE(part);
  EXPECT_EQ(part->data, "</light>");
  EXPECT_FALSE(part->block);
}

TEST(BodyPart, LargeBodyStartsBlockwiseUnasked) {
  std::string body(2500, 'x');
  auto part = body_part(body, std::nullopt);
  ASSERT_TRUE(part && part->block);
  EXPECT_EQ(part->data.size(), 1024u);
  EXPECT_EQ(part->block->num, 0u);
  EXPECT_TRUE(part->block->more);
  EXPECT_EQ(part->total, 2500u);
}

TEST(BodyPart, ServesTheAskedBlockAtTheAskedSize) {
  std::string body;
  for (int i = 0; i < 100; ++i)
    body += static_cast<char>('a' + i % 26);
  auto part = body_part(body, Block{1, false, 1});  // 32-byte blocks, the second
  ASSERT_TRUE(part && part->block);
  EXPECT_EQ(part->data, body.substr(32, 32));
  EXPECT_TRUE(part->block->more);
  auto last = body_part(body, Block{3, false, 1});
  ASSERT_TRUE(last && last->block);
  EXPECT_EQ(last->data, body.substr(96));
  EXPECT_FALSE(last->block->more);
  EXPECT_FALSE(body_part(body, Block{4, false, 1}));  // past the end: 4.02
}

TEST(BodyPart, ReassembledBlocksGiveTheBody) {
  std::string body(3000, '\0');
  for (std::size_t i = 0; i < body.size(); ++i)
    body[i] = static_cast<char>(i * 7);
  for (unsigned szx = 0; szx <= kMaxSzx; ++szx) {
    std::string joined;
    for (std::uint32_t num = 0;; ++num) {
      auto part = body_part(body, Block{num, false, szx});
      ASSERT_TRUE(part && part->block);
      joined.append(part->data);
      if (!part->block->more) break;
    }
    EXPECT_EQ(joined, body) << "szx " << szx;
  }
}

TEST(BodyPart, AnEmptyBodyHasBlockZero) {
  auto part = body_part("", Block{0, false, 2});
  ASSERT_TRUE(part && part->block);
  EXPECT_EQ(part->data, "");
  EXPECT_FALSE(part->block->more);
}

TEST(Block1Assembler, JoinsBlocksInOrder) {
  Block1Assembler assembler;
  const std::string body = std::string(64, 'a') + std::string(64, 'b') + "tail";
  auto first =
      assembler.add(1, "POST rd", Block{0, true, 2}, body.substr(0, 64), 40u, std::nullopt, 0);
  EXPECT_EQ(first.step, Step::more);
  EXPECT_EQ(first.block, (Block{0, true, 2}));
  auto second =
      assembler.add(1, "POST rd", Block{1, true, 2}, body.substr(64, 64), 40u, std::nullopt, 10);
  EXPECT_EQ(second.step, Step::more);
  auto last =
      assembler.add(1, "POST rd", Block{2, false, 2}, body.substr(128), 40u, std::nullopt, 20);
  ASSERT_EQ(last.step, Step::complete);
  EXPECT_EQ(last.body, body);
  EXPECT_EQ(last.block, (Block{2, false, 2}));
  EXPECT_EQ(assembler.transfers(), 0u);
}

TEST(Block1Assembler, AMessageWithoutBlock1IsWhole) {
  Block1Assembler assembler;
  auto outcome = assembler.add(1, "POST rd", std::nullopt, "</a>", 40u, std::nullopt, 0);
  EXPECT_EQ(outcome.step, Step::complete);
  EXPECT_EQ(outcome.body, "</a>");
}

TEST(Block1Assembler, AMissingBlockIsIncompleteNeverHalfABody) {
  Block1Assembler assembler;
  assembler.add(1, "r", Block{0, true, 0}, std::string(16, 'a'), 40u, std::nullopt, 0);
  auto skipped = assembler.add(1, "r", Block{2, false, 0}, "zz", 40u, std::nullopt, 0);
  EXPECT_EQ(skipped.step, Step::incomplete);
  EXPECT_EQ(assembler.transfers(), 0u);
  auto orphan = assembler.add(1, "r", Block{1, false, 0}, "zz", 40u, std::nullopt, 0);
  EXPECT_EQ(orphan.step, Step::incomplete);  // no block 0
}

TEST(Block1Assembler, ARetransmittedBlockIsAnsweredAgain) {
  Block1Assembler assembler;
  assembler.add(1, "r", Block{0, true, 0}, std::string(16, 'a'), 40u, std::nullopt, 0);
  assembler.add(1, "r", Block{1, true, 0}, std::string(16, 'b'), 40u, std::nullopt, 0);
  auto again = assembler.add(1, "r", Block{1, true, 0}, std::string(16, 'b'), 40u, std::nullopt, 0);
  EXPECT_EQ(again.step, Step::more);
  auto last = assembler.add(1, "r", Block{2, false, 0}, "c", 40u, std::nullopt, 0);
  ASSERT_EQ(last.step, Step::complete);
  EXPECT_EQ(last.body, std::string(16, 'a') + std::string(16, 'b') + "c");
}

TEST(Block1Assembler, RefusesBodiesOverTheLimit) {
  Block1Assembler assembler(Block1Assembler::Limits{100, 4, 1000});
  EXPECT_EQ(assembler.add(1, "r", Block{0, true, 2}, std::string(64, 'a'), 40u, 5000u, 0).step,
            Step::too_large);  // Size1 says so at once
  EXPECT_EQ(
      assembler.add(1, "r", Block{0, true, 2}, std::string(64, 'a'), 40u, std::nullopt, 0).step,
      Step::more);
  EXPECT_EQ(
      assembler.add(1, "r", Block{1, true, 2}, std::string(64, 'a'), 40u, std::nullopt, 0).step,
      Step::too_large);
  EXPECT_EQ(assembler.transfers(), 0u);
  EXPECT_EQ(assembler.add(1, "r", std::nullopt, std::string(101, 'a'), 40u, std::nullopt, 0).step,
            Step::too_large);
}

TEST(Block1Assembler, ShortBlockBeforeTheLastIsRefused) {
  Block1Assembler assembler;
  EXPECT_EQ(assembler.add(1, "r", Block{0, true, 2}, "short", 40u, std::nullopt, 0).step,
            Step::bad_block);
}

TEST(Block1Assembler, ContentFormatMustNotChange) {
  Block1Assembler assembler;
  assembler.add(1, "r", Block{0, true, 0}, std::string(16, 'a'), 40u, std::nullopt, 0);
  EXPECT_EQ(assembler.add(1, "r", Block{1, false, 0}, "b", 0u, std::nullopt, 0).step,
            Step::incomplete);
}

TEST(Block1Assembler, PeersAndResourcesDoNotMix) {
  Block1Assembler assembler;
  assembler.add(1, "a", Block{0, true, 0}, std::string(16, '1'), 40u, std::nullopt, 0);
  assembler.add(2, "a", Block{0, true, 0}, std::string(16, '2'), 40u, std::nullopt, 0);
  assembler.add(1, "b", Block{0, true, 0}, std::string(16, '3'), 40u, std::nullopt, 0);
  EXPECT_EQ(assembler.transfers(), 3u);
  auto two = assembler.add(2, "a", Block{1, false, 0}, "x", 40u, std::nullopt, 0);
  ASSERT_EQ(two.step, Step::complete);
  EXPECT_EQ(two.body, std::string(16, '2') + "x");
  assembler.forget(1);
  EXPECT_EQ(assembler.transfers(), 0u);
}

TEST(Block1Assembler, IdleTransfersExpireAndTheOldestMakesRoom) {
  Block1Assembler assembler(Block1Assembler::Limits{1000, 2, 100});
  assembler.add(1, "r", Block{0, true, 0}, std::string(16, 'a'), 40u, std::nullopt, 0);
  assembler.add(2, "r", Block{0, true, 0}, std::string(16, 'b'), 40u, std::nullopt, 50);
  assembler.add(3, "r", Block{0, true, 0}, std::string(16, 'c'), 40u, std::nullopt, 60);
  EXPECT_EQ(assembler.transfers(), 2u);
  EXPECT_EQ(assembler.add(1, "r", Block{1, false, 0}, "x", 40u, std::nullopt, 70).step,
            Step::incomplete);           // evicted: the oldest
  EXPECT_EQ(assembler.expire(155), 1u);  // peer 2's, idle 105 ms
  EXPECT_EQ(assembler.transfers(), 1u);
}

TEST(Etag, ChangesWithTheBody) {
  EXPECT_EQ(etag_of("abc").size(), 4u);
  EXPECT_EQ(etag_of("abc"), etag_of("abc"));
  EXPECT_NE(etag_of("abc"), etag_of("abd"));
}

}  // namespace
}  // namespace tte::coap_blocks
