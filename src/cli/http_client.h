#pragma once

#include <map>
#include <string>

#include "common/status.h"

namespace gleaner {

struct HttpClientResponse {
  int status = 0;
  std::string body;
};

// A blocking HTTP/1.1 client for gleaner's own command-line tools, one connection kept alive.
class HttpClient {
 public:
  // `endpoint` like "http://127.0.0.1:8686".
  static Result<HttpClient> Connect(const std::string& endpoint);
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  Result<HttpClientResponse> Post(const std::string& path, const std::string& body,
                                  const std::map<std::string, std::string>& headers);

 private:
  struct Connection;
  explicit HttpClient(Connection* connection);
  Connection* connection_;
};

}  // namespace gleaner
