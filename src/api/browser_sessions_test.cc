#include "api/browser_sessions.h"

#include <gtest/gtest.h>

#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

class BrowserSessionsTest : public ::testing::Test {
 protected:
  BrowserSessionsTest()
      : sessions_(clock_, [this](std::string_view key) -> std::optional<std::string> {
          if (key == "AKIDGLEANER" && key_exists_) return std::string("s3cret");
          if (key == "ASIATEMPORARY") return std::string("temp");
          return std::nullopt;
        }) {}

  static HttpRequest WithCookie(const std::string& method, const std::string& token) {
    HttpRequest request;
    request.method = method;
    request.headers["cookie"] = "theme=dark; gleaner_session=" + token + "; other=1";
    return request;
  }

  FakeClock clock_;
  bool key_exists_ = true;
  BrowserSessions sessions_;
};

TEST_F(BrowserSessionsTest, OpensOnlyForAPermanentKeyAndItsExactSecret) {
  EXPECT_FALSE(sessions_.Open("AKIDGLEANER", "s3cre"));
  EXPECT_FALSE(sessions_.Open("AKIDGLEANER", "s3cret "));
  EXPECT_FALSE(sessions_.Open("AKIDOTHER", "s3cret"));
  EXPECT_FALSE(sessions_.Open("ASIATEMPORARY", "temp"));  // needs its session token
  std::optional<std::string> token = sessions_.Open("AKIDGLEANER", "s3cret");
  ASSERT_TRUE(token);
  EXPECT_EQ(token->size(), 64u);
  EXPECT_NE(sessions_.Open("AKIDGLEANER", "s3cret"), token);  // each sign-in its own
}

TEST_F(BrowserSessionsTest, AdmitsReadsAndOnlyMarkedWrites) {
  std::string token = *sessions_.Open("AKIDGLEANER", "s3cret");
  EXPECT_EQ(sessions_.Admit(WithCookie("GET", token)), "AKIDGLEANER");
  HttpRequest post = WithCookie("POST", token);
  EXPECT_FALSE(sessions_.Admit(post)) << "a cross-site form could send this";
  post.headers["x-gleaner-session"] = "1";
  EXPECT_EQ(sessions_.Admit(post), "AKIDGLEANER");
  EXPECT_FALSE(sessions_.Admit(WithCookie("GET", token + "0")));
  EXPECT_FALSE(sessions_.Admit(WithCookie("GET", "")));
  HttpRequest no_cookie;
  no_cookie.method = "GET";
  EXPECT_FALSE(sessions_.Admit(no_cookie));
}

TEST_F(BrowserSessionsTest, ExpiresWhenIdleAndEndsOnSignOutOrWithItsKey) {
  std::string token = *sessions_.Open("AKIDGLEANER", "s3cret");
  clock_.Advance(BrowserSessions::kLifetimeMillis - 1);
  EXPECT_TRUE(sessions_.Admit(WithCookie("GET", token)));  // renewed by use
  clock_.Advance(BrowserSessions::kLifetimeMillis - 1);
  EXPECT_TRUE(sessions_.Admit(WithCookie("GET", token)));
  clock_.Advance(BrowserSessions::kLifetimeMillis + 1);
  EXPECT_FALSE(sessions_.Admit(WithCookie("GET", token)));

  std::string second = *sessions_.Open("AKIDGLEANER", "s3cret");
  key_exists_ = false;
  EXPECT_FALSE(sessions_.Admit(WithCookie("GET", second)));
  key_exists_ = true;
  sessions_.Close(WithCookie("DELETE", second));
  EXPECT_FALSE(sessions_.Admit(WithCookie("GET", second)));
}

TEST_F(BrowserSessionsTest, TheRouteSignsInWithACookieAndRefusesWrongKeys) {
  HttpHandler route = MakeSessionRoute(&sessions_);
  auto call = [&route](HttpRequest request) {
    HttpResponse answer;
    route(std::move(request), [&answer](HttpResponse response) { answer = std::move(response); });
    return answer;
  };
  HttpRequest sign_in;
  sign_in.method = "POST";
  sign_in.body = R"({"accessKeyId":"AKIDGLEANER","secretAccessKey":"wrong"})";
  HttpResponse refused = call(sign_in);
  EXPECT_EQ(refused.status, 401);
  EXPECT_NE(refused.body.find("AccessDeniedException"), std::string::npos);

  sign_in.body = R"({"accessKeyId":"AKIDGLEANER"})";
  HttpResponse malformed = call(sign_in);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("secretAccessKey"), std::string::npos);

  sign_in.body = R"({"accessKeyId":"AKIDGLEANER","secretAccessKey":"s3cret"})";
  HttpResponse signed_in = call(sign_in);
  ASSERT_EQ(signed_in.status, 200) << signed_in.body;
  ASSERT_EQ(signed_in.headers.size(), 1u);
  const std::string& cookie = signed_in.headers[0].second;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  std::string token = cookie.substr(cookie.find('=') + 1, 64);

  HttpResponse who = call(WithCookie("GET", token));
  EXPECT_EQ(
      ParseJsonText(who.body).value(),
      (json{{"authenticationRequired", true}, {"signedIn", true}, {"accessKeyId", "AKIDGLEANER"}}));
  call(WithCookie("DELETE", token));
  EXPECT_EQ(ParseJsonText(call(WithCookie("GET", token)).body).value()["signedIn"], false);
}

TEST(SessionRouteTest, WithoutAuthenticationEveryBrowserIsSignedIn) {
  HttpHandler route = MakeSessionRoute(nullptr);
  HttpRequest request;
  request.method = "GET";
  HttpResponse answer;
  route(std::move(request), [&answer](HttpResponse response) { answer = std::move(response); });
  EXPECT_EQ(ParseJsonText(answer.body).value(),
            (json{{"authenticationRequired", false}, {"signedIn", true}}));
}

}  // namespace
}  // namespace gleaner
