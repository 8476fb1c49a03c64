#include "tte/manual_code.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "vectors.hpp"

namespace tte {
namespace {

constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

EnrollmentUrl device_of(const nlohmann::json& c) {
  return EnrollmentUrl(*MsId::from_value(c["ms_id"].get<std::uint32_t>(), IdPolicy::allow_example),
                       *DevId::parse(c["devid"].get<std::string>()),
                       *Otp::parse(c["otp"].get<std::string>()));
}

// A 25-symbol code (no prefix, no hyphens) from symbol values.
std::string code_of(const std::uint8_t* values) {
  std::string text;
  for (std::size_t i = 0; i < manual_code::kSymbols; ++i)
    text += kAlphabet[values[i]];
  return text;
}

bool accepted(const std::string& code) {
  return manual_code::decode(code, IdPolicy::allow_example).ok();
}

TEST(ManualCode, EncodeVectors) {
  for (const auto& c : testing::load_vectors("manual_code.json")["encode"]) {
    SCOPED_TRACE(c.dump());
    EnrollmentUrl device = device_of(c);
    EXPECT_EQ(manual_code::encode(device), c["code"].get<std::string>());
    EXPECT_EQ(manual_code::encode(device).size(), manual_code::kLength);
    EXPECT_EQ(*manual_code::decode(c["code"].get<std::string>(), IdPolicy::allow_example), device);
  }
}

TEST(ManualCode, DraftExampleVector) {
  const auto& example = testing::load_vectors("draft_example.json");
  EnrollmentUrl device = device_of(example);
  EXPECT_EQ(manual_code::encode(device), example["manual_code"].get<std::string>());
  EXPECT_EQ(manual_code::decode(example["manual_code"].get<std::string>(), IdPolicy::operational)
                .error()
                .code,
            Errc::reserved);
}

TEST(ManualCode, DecodeVectors) {
  for (const auto& c : testing::load_vectors("manual_code.json")["decode"]) {
    SCOPED_TRACE(c.dump());
    auto device = manual_code::decode(c["input"].get<std::string>(), testing::policy_of(c));
    ASSERT_TRUE(testing::matches_case(device, c));
    if (device.ok()) {
      EXPECT_EQ(*device, device_of(c));
    }
  }
}

// The check symbol is linear over GF(32): check(a ^ b) == check(a) ^ check(b).
// Whether an error is detected therefore depends only on the error (its
// position and value), never on the code it hits: the exhaustive tests below,
// run on one code, hold for every code.
TEST(ManualCode, CheckIsLinear) {
  std::mt19937 random(20261128);
  for (int trial = 0; trial < 1000; ++trial) {
    std::uint8_t a[manual_code::kDataSymbols], b[manual_code::kDataSymbols],
        sum[manual_code::kDataSymbols];
    for (std::size_t i = 0; i < manual_code::kDataSymbols; ++i) {
      a[i] = static_cast<std::uint8_t>(random() % 32);
      b[i] = static_cast<std::uint8_t>(random() % 32);
      sum[i] = a[i] ^ b[i];
    }
    ASSERT_EQ(manual_code::check_value(sum),
              manual_code::check_value(a) ^ manual_code::check_value(b));
  }
}

TEST(ManualCode, DetectsEverySingleSymbolError) {
  std::uint8_t values[manual_code::kSymbols] = {};
  for (std::size_t i = 0; i < manual_code::kDataSymbols; ++i)
    values[i] = static_cast<std::uint8_t>(i * 7 % 32);
  values[manual_code::kDataSymbols] = manual_code::check_value(values);
  ASSERT_TRUE(accepted(code_of(values)));
  int tried = 0;
  for (std::size_t position = 0; position < manual_code::kSymbols; ++position) {
    for (std::uint8_t wrong = 0; wrong < 32; ++wrong) {
      if (wrong == values[position]) continue;
      std::uint8_t typo[manual_code::kSymbols];
      std::copy(values, values + manual_code::kSymbols, typo);
      typo[position] = wrong;
      auto result = manual_code::decode(code_of(typo), IdPolicy::allow_example);
      ASSERT_FALSE(result.ok()) << "undetected: position " << position << " -> "
                                << kAlphabet[wrong];
      EXPECT_EQ(result.error().code, Errc::checksum);
      ++tried;
    }
  }
  EXPECT_EQ(tried, 25 * 31);
}

TEST(ManualCode, DetectsEveryAdjacentTransposition) {
  int tried = 0;
  for (std::size_t position = 0; position + 1 < manual_code::kSymbols; ++position) {
    for (std::uint8_t a = 0; a < 32; ++a) {
      for (std::uint8_t b = 0; b < 32; ++b) {
        if (a == b) continue;
        // Build a valid code with a at position and b at position + 1.
        std::uint8_t values[manual_code::kSymbols] = {};
        values[position] = a;
        if (position + 1 < manual_code::kDataSymbols) {
          values[position + 1] = b;
          values[manual_code::kDataSymbols] = manual_code::check_value(values);
        } else {
          // b is the check symbol itself: pick the first data symbol that makes it so
          // (the check is a bijection of any one data symbol).
          std::size_t free = position == 0 ? 1 : 0;
          bool found = false;
          for (std::uint8_t v = 0; v < 32 && !found; ++v) {
            values[free] = v;
            found = manual_code::check_value(values) == b;
          }
          ASSERT_TRUE(found);
          values[manual_code::kDataSymbols] = b;
        }
        ASSERT_TRUE(accepted(code_of(values)));
        std::swap(values[position], values[position + 1]);
        auto result = manual_code::decode(code_of(values), IdPolicy::allow_example);
        ASSERT_FALSE(result.ok()) << "undetected swap at " << position;
        EXPECT_EQ(result.error().code, Errc::checksum);
        ++tried;
      }
    }
  }
  EXPECT_EQ(tried, 24 * 32 * 31);
}

TEST(ManualCode, RoundTripsRandomDevices) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 2000; ++i) {
    auto ms =
        MsId::from_value(static_cast<std::uint32_t>(random() & 0xffffff), IdPolicy::allow_example);
    EnrollmentUrl device(*ms, DevId(static_cast<std::uint32_t>(random())), Otp(random()));
    auto code = manual_code::encode(device);
    auto back = manual_code::decode(code.view(), IdPolicy::allow_example);
    ASSERT_TRUE(back.ok()) << code.view();
    EXPECT_EQ(*back, device);
  }
}

TEST(ManualCode, FormatIsGroupsOfFour) {
  auto ms = MsId::from_value(10, IdPolicy::operational);
  auto code = manual_code::encode(EnrollmentUrl(*ms, DevId(2), Otp(1)));
  const std::string text(code.view());
  ASSERT_EQ(text.size(), 35u);
  EXPECT_EQ(text.substr(0, 4), "TTE-");
  for (std::size_t i = 8; i < text.size(); i += 5)
    EXPECT_EQ(text[i], '-') << text;
  EXPECT_EQ(manual_code::symbol_value('o'), 0);
  EXPECT_EQ(manual_code::symbol_value('l'), 1);
  EXPECT_EQ(manual_code::symbol_value('I'), 1);
  EXPECT_EQ(manual_code::symbol_value('U'), -1);
}

BoxUrl box_of(const nlohmann::json& c) {
  BoxUrl::Key key{};
  const std::string hex = c["key"].get<std::string>();
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<std::uint8_t>(std::stoul(hex.substr(2 * i, 2), nullptr, 16));
  return *BoxUrl::make(*MsId::from_value(c["ms_id"].get<std::uint32_t>(), IdPolicy::allow_example),
                       *DevId::parse(c["first"].get<std::string>()),
                       c["count"].get<std::uint32_t>(), key);
}

void expect_same_box(const BoxUrl& a, const BoxUrl& b) {
  EXPECT_EQ(a.to_string(), b.to_string());
}

TEST(BoxManualCode, EncodeVectors) {
  for (const auto& c : testing::load_vectors("manual_code.json")["box_encode"]) {
    SCOPED_TRACE(c.dump());
    BoxUrl box = box_of(c);
    EXPECT_EQ(manual_code::encode_box(box), c["code"].get<std::string>());
    EXPECT_EQ(manual_code::encode_box(box).size(), manual_code::kBoxLength);
    auto back = manual_code::decode_box(c["code"].get<std::string>(), IdPolicy::operational);
    ASSERT_TRUE(back.ok());
    expect_same_box(*back, box);
    EXPECT_TRUE(manual_code::looks_like_box_code(c["code"].get<std::string>()));
  }
}

TEST(BoxManualCode, DecodeVectors) {
  for (const auto& c : testing::load_vectors("manual_code.json")["box_decode"]) {
    SCOPED_TRACE(c.dump());
    auto box = manual_code::decode_box(c["input"].get<std::string>(), testing::policy_of(c));
    ASSERT_TRUE(testing::matches_case(box, c));
    if (box.ok()) expect_same_box(*box, box_of(c));
  }
}

// The same guarantees as a Device's code, over 41 symbols: the weights
// x^40..x^0 repeat after 31 positions, but every weight is non-zero, which is
// all that single errors and adjacent swaps need.
TEST(BoxManualCode, DetectsEverySingleSymbolErrorAndAdjacentSwap) {
  BoxUrl::Key key{};
  for (std::size_t i = 0; i < key.size(); ++i)
    key[i] = static_cast<std::uint8_t>(37 * i + 11);
  auto box = BoxUrl::make(*MsId::from_value(10, IdPolicy::operational), DevId(0x1000), 24, key);
  std::string code(manual_code::encode_box(*box).view());
  std::string flat;
  for (char c : code.substr(3))
    if (c != '-') flat += c;
  ASSERT_EQ(flat.size(), manual_code::kBoxSymbols);
  int tried = 0;
  for (std::size_t i = 0; i < flat.size(); ++i) {
    for (int v = 0; v < 32; ++v) {
      if (kAlphabet[v] == flat[i]) continue;
      std::string wrong = flat;
      wrong[i] = kAlphabet[v];
      EXPECT_EQ(manual_code::decode_box(wrong, IdPolicy::operational).error().code, Errc::checksum)
          << wrong;
      ++tried;
    }
  }
  EXPECT_EQ(tried, 41 * 31);
  for (std::size_t i = 0; i + 1 < flat.size(); ++i) {
    if (flat[i] == flat[i + 1]) continue;
    std::string swapped = flat;
    std::swap(swapped[i], swapped[i + 1]);
    EXPECT_EQ(manual_code::decode_box(swapped, IdPolicy::operational).error().code, Errc::checksum)
        << swapped;
  }
}

TEST(BoxManualCode, IsNotADeviceCode) {
  auto device = EnrollmentUrl(*MsId::from_value(10, IdPolicy::operational), DevId(2), Otp(1));
  std::string device_code(manual_code::encode(device).view());
  EXPECT_FALSE(manual_code::looks_like_box_code(device_code));
  EXPECT_EQ(manual_code::decode_box(device_code, IdPolicy::operational).error().code, Errc::syntax);
  auto box = BoxUrl::make(*MsId::from_value(10, IdPolicy::operational), DevId(2), 3, BoxUrl::Key{});
  std::string box_code(manual_code::encode_box(*box).view());
  EXPECT_EQ(manual_code::decode(box_code, IdPolicy::operational).error().code, Errc::syntax);
}

}  // namespace
}  // namespace tte
