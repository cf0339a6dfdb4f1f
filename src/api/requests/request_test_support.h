#pragma once

// Table-driven checks for the request parsers: a valid request, and cases that each patch it
// (RFC 7386 merge patch: null removes a member, objects merge, anything else replaces) into one
// that must be refused with a message containing the expected text.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "common/status.h"

namespace gleaner::testing {

struct RejectCase {
  const char* patch;     // JSON merged into the valid request
  const char* expected;  // a part of the error message
};

inline nlohmann::json Patched(const nlohmann::json& base, const char* patch) {
  nlohmann::json body = base;
  body.merge_patch(nlohmann::json::parse(patch));
  return body;
}

template <typename T>
void ExpectRejected(const Result<T>& result, const std::string& expected,
                    StatusCode code = StatusCode::kInvalidArgument) {
  ASSERT_FALSE(result.ok()) << "accepted, expected an error containing: " << expected;
  EXPECT_EQ(result.status().code(), code) << result.status().message();
  EXPECT_THAT(result.status().message(), ::testing::HasSubstr(expected));
}

// `parse` accepts `valid`, and refuses each case's patch of it.
template <typename Parse>
void ExpectEachRejected(Parse parse, const nlohmann::json& valid,
                        const std::vector<RejectCase>& cases) {
  auto accepted = parse(valid);
  ASSERT_TRUE(accepted.ok()) << accepted.status().message();
  for (const RejectCase& reject : cases) {
    SCOPED_TRACE(std::string("patch: ") + reject.patch);
    ExpectRejected(parse(Patched(valid, reject.patch)), reject.expected);
  }
}

// `parse` accepts each patch of `valid`.
template <typename Parse>
void ExpectEachAccepted(Parse parse, const nlohmann::json& valid,
                        const std::vector<const char*>& patches) {
  for (const char* patch : patches) {
    SCOPED_TRACE(std::string("patch: ") + patch);
    auto accepted = parse(Patched(valid, patch));
    EXPECT_TRUE(accepted.ok()) << accepted.status().message();
  }
}

// Bodies that are not JSON objects.
inline std::vector<nlohmann::json> NonObjectBodies() {
  return {nullptr, nlohmann::json::array(), 42, "text", true, 1.5};
}

}  // namespace gleaner::testing
