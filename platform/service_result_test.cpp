#include "platform/service_result.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace ccsim::platform {
namespace {

Result<int> half(int n) {
  if (n % 2 != 0) return error(ErrorCode::kInvalidArgument, "n: " + std::to_string(n) + " is odd");
  return n / 2;
}

TEST(ServiceResult, CarriesAValueOrATypedError) {
  const Result<int> good = half(8);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 4);
  const Result<int> bad = half(7);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "n: 7 is odd");
}

TEST(ServiceResult, ErrorCodeNamesAreStableAndDistinct) {
  EXPECT_EQ(error_code_name(ErrorCode::kInvalidArgument), "invalid_argument");
  EXPECT_EQ(error_code_name(ErrorCode::kLocked), "locked");
  std::set<std::string_view> names;
  for (int c = 0; c <= static_cast<int>(ErrorCode::kLocked); ++c) {
    names.insert(error_code_name(static_cast<ErrorCode>(c)));
  }
  EXPECT_EQ(names.size(), 8u);
  EXPECT_EQ(names.count("unknown"), 0u);
}

TEST(ServiceResult, EveryCodeParsesBackFromItsName) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::kLocked); ++c) {
    const auto code = static_cast<ErrorCode>(c);
    EXPECT_EQ(parse_error_code(error_code_name(code)), code);
  }
  EXPECT_EQ(parse_error_code("locked"), ErrorCode::kLocked);
  EXPECT_FALSE(parse_error_code("unknown").has_value());
  EXPECT_FALSE(parse_error_code("Locked").has_value());
}

}  // namespace
}  // namespace ccsim::platform
