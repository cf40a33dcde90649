// What a test needs from the machine before it can run (root, a peer program such as bird or
// gobgpd, a CNI plugin binary, openssl). WEFT_REQUIRE(condition, reason) does nothing when the
// condition holds. Otherwise, on a developer's machine, it skips the test with the reason; in CI
// (the environment variable CI is "true" or "1", as CI systems set it) it fails the test with
// the reason, because a CI run in which a test silently did not run reports success for code that
// was never exercised.
//
// Like GTEST_SKIP and GTEST_FAIL it returns from the current function only: a fixture whose
// SetUp calls a base SetUp that may stop this way returns when IsSkipped() || HasFatalFailure().
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string_view>

namespace weft::testing {

// True when the environment says this is a CI run (CI=true or CI=1).
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && (std::string_view(ci) == "true" || std::string_view(ci) == "1");
}

}  // namespace weft::testing

// `reason` is anything that can be streamed into a gtest message, e.g. path << " missing".
// The switch keeps a caller's `if (...) WEFT_REQUIRE(...); else ...` unambiguous (as gtest's own
// macros do).
#define WEFT_REQUIRE(condition, reason)                                                    \
  switch (0)                                                                               \
  case 0:                                                                                  \
  default:                                                                                 \
    if (condition) {                                                                       \
    } else if (::weft::testing::in_ci())                                                   \
      GTEST_FAIL() << "cannot run here, and CI requires every test to run: " << reason;    \
    else                                                                                   \
      GTEST_SKIP() << reason
