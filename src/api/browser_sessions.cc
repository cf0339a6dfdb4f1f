#include "api/browser_sessions.h"

#include <nlohmann/json.hpp>

#include "api/aws_errors.h"
#include "common/entropy.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

bool MayChangeState(const HttpRequest& request) {
  return request.method != "GET" && request.method != "HEAD";
}

HttpResponse SessionError(const std::string& code, const std::string& message, int status) {
  return JsonProtocolError(code, message, status, "application/json");
}

}  // namespace

std::optional<std::string> BrowserSessions::Open(const std::string& access_key_id,
                                                 const std::string& secret_access_key) {
  if (access_key_id.empty() || access_key_id.starts_with("ASIA")) return std::nullopt;
  std::optional<std::string> secret = secrets_(access_key_id);
  if (!secret || !SecretsEqual(*secret, secret_access_key)) return std::nullopt;
  std::string token = EntropyHex(32);  // 256 bits
  MutexLock lock(mutex_);
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = sessions_.begin();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.last_used < oldest->second.last_used) oldest = it;
    }
    sessions_.erase(oldest);
  }
  sessions_[token] = Session{access_key_id, clock_.NowMillis()};
  return token;
}

std::optional<std::string> BrowserSessions::Admit(const HttpRequest& request) {
  std::string token = TokenOf(request);
  if (token.empty()) return std::nullopt;
  if (MayChangeState(request)) {
    auto header = request.headers.find(kRequestHeader);
    if (header == request.headers.end() || header->second != "1") return std::nullopt;
  }
  MutexLock lock(mutex_);
  // Looked up by the whole token: a std::map compares bytes, but a token that is not in it
  // tells an attacker only that it is not (the tokens are 256 random bits).
  auto found = sessions_.find(token);
  if (found == sessions_.end()) return std::nullopt;
  EpochMillis now = clock_.NowMillis();
  if (now - found->second.last_used > kLifetimeMillis) {
    sessions_.erase(found);
    return std::nullopt;
  }
  // The key may have been removed from the credentials since the session began.
  if (!secrets_(found->second.access_key_id)) return std::nullopt;
  found->second.last_used = now;
  return found->second.access_key_id;
}

void BrowserSessions::Close(const HttpRequest& request) {
  std::string token = TokenOf(request);
  MutexLock lock(mutex_);
  sessions_.erase(token);
}

std::string BrowserSessions::Cookie(const std::string& token, int64_t max_age_seconds) const {
  return std::string(kCookieName) + "=" + token +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age_seconds) +
         (secure_cookie_ ? "; Secure" : "");
}

std::string BrowserSessions::TokenOf(const HttpRequest& request) {
  auto header = request.headers.find("cookie");
  if (header == request.headers.end()) return "";
  std::string_view cookies = header->second;
  std::string_view name = kCookieName;
  while (!cookies.empty()) {
    size_t end = cookies.find(';');
    std::string_view pair = cookies.substr(0, end);
    cookies = end == std::string_view::npos ? std::string_view() : cookies.substr(end + 1);
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.starts_with(name) && pair[name.size()] == '=') {
      return std::string(pair.substr(name.size() + 1));
    }
  }
  return "";
}

HttpHandler MakeSessionRoute(BrowserSessions* sessions) {
  return [sessions](HttpRequest&& request, Responder respond) {
    if (request.method == "GET") {
      json answer = {{"authenticationRequired", sessions != nullptr}, {"signedIn", true}};
      if (sessions != nullptr) {
        std::optional<std::string> key = sessions->Admit(request);
        answer["signedIn"] = key.has_value();
        if (key) answer["accessKeyId"] = *key;
      }
      return respond(JsonResponse(DumpJson(answer)));
    }
    if (request.method == "DELETE") {
      HttpResponse signed_out = JsonResponse("{}");
      if (sessions != nullptr) {
        sessions->Close(request);
        signed_out.headers.emplace_back("Set-Cookie", sessions->Cookie("", 0));
      }
      return respond(std::move(signed_out));
    }
    if (request.method != "POST") {
      return respond(SessionError("ValidationException",
                                  "/gleaner/v1/session takes GET, POST (sign in) or DELETE", 400));
    }
    if (sessions == nullptr) return respond(JsonResponse(R"({"signedIn":true})"));
    Result<json> body = ParseJsonText(request.body);
    if (!body.ok() || !body->is_object() || !(*body)["accessKeyId"].is_string() ||
        !(*body)["secretAccessKey"].is_string()) {
      return respond(SessionError(
          "ValidationException",
          "Sign in with a JSON object holding accessKeyId and secretAccessKey, both strings", 400));
    }
    std::optional<std::string> token = sessions->Open(
        (*body)["accessKeyId"].get<std::string>(), (*body)["secretAccessKey"].get<std::string>());
    if (!token) {
      return respond(SessionError(
          "AccessDeniedException",
          "The access key id or secret access key is not one of this server's keys", 401));
    }
    HttpResponse signed_in =
        JsonResponse(DumpJson({{"signedIn", true}, {"accessKeyId", (*body)["accessKeyId"]}}));
    signed_in.headers.emplace_back(
        "Set-Cookie", sessions->Cookie(*token, BrowserSessions::kLifetimeMillis / 1000));
    respond(std::move(signed_in));
  };
}

}  // namespace gleaner
