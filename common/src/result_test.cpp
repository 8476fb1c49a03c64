#include "tte/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace tte {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return make_error(Errc::out_of_range, "odd", "n");
  return n / 2;
}

Result<int> quarter(int n) {
  TTE_ASSIGN_OR_RETURN(int h, half(n));
  return half(h);
}

Status check_even(int n) {
  TTE_TRY(half(n));
  return ok_status();
}

TEST(Result, CarriesValueOrError) {
  auto ok = half(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 4);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::out_of_range);
  EXPECT_STREQ(bad.error().field, "n");
  EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, MacrosPropagateTheFirstError) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_FALSE(quarter(6).ok());
  EXPECT_TRUE(check_even(2).ok());
  EXPECT_EQ(check_even(1).error().code, Errc::out_of_range);
}

TEST(Result, HoldsMoveOnlyAndNonTrivialTypes) {
  Result<std::unique_ptr<int>> owned(std::make_unique<int>(7));
  ASSERT_TRUE(owned.ok());
  std::unique_ptr<int> taken = std::move(owned).value();
  EXPECT_EQ(*taken, 7);

  Result<std::string> text(std::string(100, 'x'));
  Result<std::string> copy = text;
  EXPECT_EQ(copy->size(), 100u);
  copy = Result<std::string>(make_error(Errc::syntax, "bad"));
  EXPECT_FALSE(copy.ok());
  copy = text;
  EXPECT_EQ(*copy, *text);
}

TEST(Result, ErrcNamesAreStable) {
  EXPECT_STREQ(errc_name(Errc::syntax), "syntax");
  EXPECT_STREQ(errc_name(Errc::already_used), "already_used");
  EXPECT_STREQ(errc_name(Errc::internal), "internal");
}

TEST(ResultDeathTest, ValueOfAnErrorAborts) {
  EXPECT_DEATH((void)half(3).value(), "odd");
}

}  // namespace
}  // namespace tte
