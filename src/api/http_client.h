#pragma once

#include <chrono>
#include <map>
#include <string>

#include "api/sigv4.h"
#include "common/status.h"

namespace gleaner {

struct HttpClientResponse {
  int status = 0;
  std::string body;
};

// A blocking HTTP/1.1 client for gleaner's own command-line tools, one connection kept alive.
class HttpClient {
 public:
  // `endpoint` like "http://127.0.0.1:8686" or "https://gleaner.example:8686".
  static Result<HttpClient> Connect(const std::string& endpoint);
  // Same, giving up when the connection is not made within `timeout` (zero: no limit). An https
  // server's certificate is verified against `ca_file` (PEM), or the system's roots when empty,
  // and must name the host.
  static Result<HttpClient> Connect(const std::string& endpoint, std::chrono::milliseconds timeout,
                                    const std::string& ca_file = "");
  HttpClient(HttpClient&&) noexcept;
  HttpClient& operator=(HttpClient&&) noexcept;
  ~HttpClient();

  Result<HttpClientResponse> Post(const std::string& path, const std::string& body,
                                  const std::map<std::string, std::string>& headers);
  // Same, failing when the whole exchange takes longer than `timeout` (zero: no limit). After any
  // failure the connection is closed and this client fails every later request: Connect again.
  Result<HttpClientResponse> Post(const std::string& path, const std::string& body,
                                  const std::map<std::string, std::string>& headers,
                                  std::chrono::milliseconds timeout);
  Result<HttpClientResponse> Get(const std::string& path,
                                 const std::map<std::string, std::string>& headers = {});
  // Signs every later request (SigV4, service "batch") with these credentials.
  void SetCredentials(SigV4Credentials credentials, std::string region);
  // Makes the timed Post in progress (or else the next one) fail at once. The one member that may
  // be called from another thread, while this client exists.
  void Interrupt();

  struct Connection;  // opaque outside http_client.cc

 private:
  explicit HttpClient(Connection* connection);
  Result<HttpClientResponse> Exchange(const std::string& method, const std::string& path,
                                      const std::string& body,
                                      const std::map<std::string, std::string>& headers,
                                      std::chrono::milliseconds timeout);
  Connection* connection_;
};

// Connects to `endpoint` as gleaner's client commands do: requests signed with the standard AWS
// credential chain (environment, shared credentials file; see aws_credentials.h), unsigned when
// none is found (for a server started with --no-auth).
Result<HttpClient> ConnectWithAwsCredentials(const std::string& endpoint);

}  // namespace gleaner
