// Test support for platform services: unwrap a Result that must succeed, or expect a typed error.
// Included by the platform's tests only.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>

#include "platform/service_result.h"

namespace ccsim::platform {

// The value of `result`, failing the test (and returning a default value) when it is an error.
template <typename T>
T must(Result<T> result) {
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return T{};
  return std::move(result).value();
}

// Passes when `result` failed with `code` and a message containing `text`.
template <typename T>
void expect_error(const Result<T>& result, ErrorCode code, std::string_view text) {
  ASSERT_FALSE(result.ok()) << "expected " << error_code_name(code) << " (" << text << ")";
  EXPECT_EQ(error_code_name(result.error().code), error_code_name(code)) << result.error().message;
  EXPECT_NE(result.error().message.find(text), std::string::npos)
      << "message '" << result.error().message << "' lacks '" << text << "'";
}

}  // namespace ccsim::platform
