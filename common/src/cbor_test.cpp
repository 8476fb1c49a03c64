#include "tte/cbor.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vectors.hpp"

namespace tte::cbor {
namespace {

std::string encode(void (*write)(Writer&)) {
  std::uint8_t buffer[64];
  Writer writer(buffer);
  write(writer);
  auto bytes = writer.finish();
  return bytes.ok() ? testing::to_hex(bytes->data(), bytes->size()) : "overflow";
}

// RFC 8949 Appendix A examples.
TEST(Cbor, WriterMatchesRfc8949Examples) {
  EXPECT_EQ(encode([](Writer& w) { w.uint(0); }), "00");
  EXPECT_EQ(encode([](Writer& w) { w.uint(23); }), "17");
  EXPECT_EQ(encode([](Writer& w) { w.uint(24); }), "1818");
  EXPECT_EQ(encode([](Writer& w) { w.uint(1000); }), "1903e8");
  EXPECT_EQ(encode([](Writer& w) { w.uint(1000000); }), "1a000f4240");
  EXPECT_EQ(encode([](Writer& w) { w.uint(1000000000000); }), "1b000000e8d4a51000");
  EXPECT_EQ(encode([](Writer& w) { w.uint(18446744073709551615u); }), "1bffffffffffffffff");
  EXPECT_EQ(encode([](Writer& w) { w.integer(-1); }), "20");
  EXPECT_EQ(encode([](Writer& w) { w.integer(-1000); }), "3903e7");
  EXPECT_EQ(encode([](Writer& w) { w.integer(INT64_MIN); }), "3b7fffffffffffffff");
  EXPECT_EQ(encode([](Writer& w) { w.bytes(ByteView()); }), "40");
  EXPECT_EQ(encode([](Writer& w) {
              const std::uint8_t b[] = {1, 2, 3, 4};
              w.bytes(b);
            }),
            "4401020304");
  EXPECT_EQ(encode([](Writer& w) { w.text("IETF"); }), "6449455446");
  EXPECT_EQ(encode([](Writer& w) { w.boolean(false); }), "f4");
  EXPECT_EQ(encode([](Writer& w) { w.boolean(true); }), "f5");
  EXPECT_EQ(encode([](Writer& w) { w.null(); }), "f6");
  EXPECT_EQ(encode([](Writer& w) {
              w.map(2);
              w.uint(1);
              w.uint(2);
              w.uint(3);
              w.array(2);
              w.uint(4);
              w.uint(5);
            }),
            "a2010203820405");
}

TEST(Cbor, WriterReportsOverflow) {
  std::uint8_t buffer[3];
  Writer writer(buffer);
  writer.text("abc");
  EXPECT_EQ(writer.finish().error().code, Errc::too_long);
}

TEST(Cbor, ReaderReadsHeadsAndStrings) {
  auto bytes = testing::from_hex("a2016449455446028203f6");
  Reader reader(bytes);
  EXPECT_EQ(*reader.read_map_header(), 2u);
  EXPECT_EQ(*reader.read_uint(), 1u);
  EXPECT_EQ(*reader.read_text(), "IETF");
  EXPECT_EQ(*reader.read_uint(), 2u);
  EXPECT_EQ(*reader.read_array_header(), 2u);
  EXPECT_EQ(*reader.read_uint(), 3u);
  auto null = reader.next();
  ASSERT_TRUE(null.ok());
  EXPECT_EQ(null->major, Major::simple);
  EXPECT_EQ(null->argument, 22u);
  EXPECT_TRUE(reader.at_end());
  EXPECT_FALSE(reader.next().ok());
}

TEST(Cbor, SkipHandlesNestingTagsAndFloats) {
  // [1, {"a": [2, 3.5 (half float), 1(1363896240)]}, h'00'] followed by 7
  auto bytes = testing::from_hex("8301a161618302f93b00c11a514b67b0410007");
  Reader reader(bytes);
  ASSERT_TRUE(reader.skip().ok());
  EXPECT_EQ(*reader.read_uint(), 7u);
  EXPECT_TRUE(reader.at_end());
}

TEST(Cbor, RefusesMalformedInput) {
  for (const char* hex : {"", "18", "19ff", "5a00000010", "6261", "1c", "1d", "1e", "9f01ff",
                          "5f4100ff", "bf01ff", "f818", "83", "a1", "c1", "9bffffffffffffffff"}) {
    auto bytes = testing::from_hex(hex);
    Reader reader(bytes);
    EXPECT_FALSE(reader.skip().ok()) << hex;
  }
}

TEST(Cbor, DeepNestingNeedsNoStack) {
  // 100,000 nested one-element arrays: skip() is iterative.
  std::vector<std::uint8_t> bytes(100000, 0x81);
  bytes.push_back(0x00);
  Reader reader(bytes);
  EXPECT_TRUE(reader.skip().ok());
  EXPECT_TRUE(reader.at_end());
}

}  // namespace
}  // namespace tte::cbor
