#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "api/http_server.h"
#include "api/sigv4.h"
#include "common/clock.h"
#include "common/mutex.h"

namespace gleaner {

// The dashboard's sign-in: a browser cannot sign requests with SigV4, so it trades one of the
// API's own access keys (id and secret, checked in constant time) for a session cookie. A
// session admits the same requests a signed one would, for kLifetimeMillis after its last use.
// Against cross-site requests the cookie is HttpOnly and SameSite=Strict, and a request that can
// change anything (any method but GET and HEAD) must also carry the header `X-Gleaner-Session: 1`,
// which no other site's page can send. Sessions live in memory: a restart signs every browser
// out.
class BrowserSessions {
 public:
  static constexpr const char* kCookieName = "gleaner_session";
  static constexpr const char* kRequestHeader = "x-gleaner-session";
  static constexpr int64_t kLifetimeMillis = int64_t{12} * 60 * 60 * 1000;
  static constexpr size_t kMaxSessions = 10'000;  // the oldest is dropped past this

  // `secure_cookie`: the server speaks TLS, so the cookie is marked Secure.
  BrowserSessions(const Clock& clock, SecretLookup secrets, bool secure_cookie = false)
      : clock_(clock), secrets_(std::move(secrets)), secure_cookie_(secure_cookie) {}

  // A new session's token for a permanent access key and its secret; nothing when they do not
  // match (temporary keys, which need their session token, are refused too).
  std::optional<std::string> Open(const std::string& access_key_id,
                                  const std::string& secret_access_key);
  // The access key a request's session cookie stands for, when the session is live and the
  // request may use it (see the class comment); renews the session.
  std::optional<std::string> Admit(const HttpRequest& request);
  void Close(const HttpRequest& request);

  // The session token in a request's Cookie header; empty when there is none.
  static std::string TokenOf(const HttpRequest& request);
  // The Set-Cookie header's value carrying `token` for `max_age_seconds` (0: removes it).
  std::string Cookie(const std::string& token, int64_t max_age_seconds) const;

 private:
  struct Session {
    std::string access_key_id;
    EpochMillis last_used = 0;
  };

  const Clock& clock_;
  SecretLookup secrets_;
  bool secure_cookie_;
  Mutex mutex_;
  std::map<std::string, Session> sessions_ GLEANER_GUARDED_BY(mutex_);  // by token
};

// /gleaner/v1/session, served without a signature: POST {"accessKeyId", "secretAccessKey"} signs
// in (Set-Cookie; 401 AccessDeniedException when the key is wrong), GET tells whether this
// browser is signed in ({"signedIn": bool, "authenticationRequired": bool, "accessKeyId"?}),
// DELETE signs out. `sessions` null: the server accepts unsigned requests (--no-auth).
HttpHandler MakeSessionRoute(BrowserSessions* sessions);

}  // namespace gleaner
