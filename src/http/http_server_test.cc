#include "http/http_server.h"

#include <gtest/gtest.h>

namespace magpie {
namespace {

// "Basic " + base64 of "user:pass".
constexpr const char* kDefaultSecret = "Basic ZGVmYXVsdDpzM2NyZXQ=";  // default:s3cret
constexpr const char* kEmptyUser = "Basic OnMzY3JldA==";              // :s3cret
constexpr const char* kWrongPass = "Basic ZGVmYXVsdDp3cm9uZw==";      // default:wrong
constexpr const char* kOtherUser = "Basic YWxpY2U6czNjcmV0";          // alice:s3cret

TEST(HttpAccessTest, ProtectedModeServesOnlyLoopbackWithoutPassword) {
  EXPECT_EQ(CheckHttpAccess(true, true, "", ""), HttpAccess::kAllowed);
  EXPECT_EQ(CheckHttpAccess(false, true, "", ""), HttpAccess::kForbidden);
  EXPECT_EQ(CheckHttpAccess(false, false, "", ""), HttpAccess::kAllowed);
}

TEST(HttpAccessTest, PasswordNeedsBasicAuthFromEveryPeer) {
  for (bool loopback : {true, false}) {
    for (bool protected_mode : {true, false}) {
      EXPECT_EQ(CheckHttpAccess(loopback, protected_mode, "s3cret", ""), HttpAccess::kUnauthorized);
      EXPECT_EQ(CheckHttpAccess(loopback, protected_mode, "s3cret", kDefaultSecret),
                HttpAccess::kAllowed);
    }
  }
  EXPECT_EQ(CheckHttpAccess(false, true, "s3cret", kEmptyUser), HttpAccess::kAllowed);
  EXPECT_EQ(CheckHttpAccess(false, true, "s3cret", "basic ZGVmYXVsdDpzM2NyZXQ="),
            HttpAccess::kAllowed);
  EXPECT_EQ(CheckHttpAccess(true, true, "s3cret", kWrongPass), HttpAccess::kUnauthorized);
  EXPECT_EQ(CheckHttpAccess(true, true, "s3cret", kOtherUser), HttpAccess::kUnauthorized);
  EXPECT_EQ(CheckHttpAccess(true, true, "s3cret", "Bearer abc"), HttpAccess::kUnauthorized);
  EXPECT_EQ(CheckHttpAccess(true, true, "s3cret", "Basic !!!!"), HttpAccess::kUnauthorized);
  EXPECT_EQ(CheckHttpAccess(true, true, "s3cret", "Basic ZGVmYXVsdA=="),  // no colon
            HttpAccess::kUnauthorized);
  EXPECT_EQ(CheckHttpAccess(true, true, "s3cre", kDefaultSecret), HttpAccess::kUnauthorized);
}

}  // namespace
}  // namespace magpie
