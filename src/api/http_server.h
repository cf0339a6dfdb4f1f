#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/tls_identity.h"
#include "common/percent_encoding.h"  // PercentDecode, for the handlers
#include "common/status.h"

namespace gleaner {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ...
  std::string path;                            // the target before '?', still percent-encoded
  std::string query;                           // after '?', still percent-encoded; empty when none
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;
  bool body_too_large = false;  // the body exceeded max_body_bytes and was dropped
};

// The body of a response written over time (Server-Sent Events). Safe from any thread.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Queues `chunk` for the client. False once the stream has ended -- the client went away, or
  // fell more than kMaxStreamBacklogBytes behind -- and the chunk is dropped: stop writing.
  virtual bool Write(std::string chunk) = 0;
  // Ends the response: the connection closes once what was written is sent.
  virtual void Close() = 0;
  static constexpr size_t kMaxStreamBacklogBytes = size_t{4} << 20;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The answer to a HEAD request: the Content-Length announced (S3's HeadObject: the object's
  // size) when it is not body's, which is not sent anyway.
  std::optional<uint64_t> head_content_length;
  // Set: the body is written over time. The head goes out without a length (the connection
  // closes at the end), then `stream` gets the writer, on a server thread (it must not block);
  // `body` is ignored. The idle timeout does not apply: the stream lasts until one side ends it.
  std::function<void(std::shared_ptr<ResponseStream>)> stream;
};

// Answers a request exactly once, from any thread.
using Responder = std::function<void(HttpResponse)>;
using HttpHandler = std::function<void(HttpRequest&& request, Responder respond)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port
  int threads = 2;
  size_t max_body_bytes = 1 << 20;
  // PUT requests may be larger (S3's PutObject and UploadPart; every other service POSTs).
  size_t max_put_body_bytes = 1 << 20;
  // A connection idle this long (between requests, or stalled while sending a request or reading
  // a response) is closed. Time spent waiting for the handler's answer does not count.
  int idle_timeout_ms = 120'000;
  // Both set: HTTPS with this PEM certificate chain and private key (TLS 1.2 and later).
  std::string tls_certificate_file;
  std::string tls_private_key_file;
};

// A TLS listener's certificate for the name a client asks for (SNI; "" when it names none). An
// error refuses the handshake. Called once per name: the server keeps what it answers.
using TlsIdentityFor = std::function<Result<TlsIdentity>(const std::string& server_name)>;

// How a listener added with AddListener talks.
struct ListenerTls {
  bool enabled = false;  // plain HTTP when false
  // With `enabled`: 0 for the server's own certificate, else an id from AddTlsCertificates.
  uint64_t certificates = 0;
};

// HTTP/1.1 with keep-alive on Boost.Beast. The handler may answer later (after the scheduler and
// the store are done); the connection waits for the answer before reading the next request.
class HttpServer {
 public:
  virtual ~HttpServer() = default;
  virtual uint16_t port() const = 0;
  // Certificates chosen by server name, for listeners (ListenerTls::certificates); they stay
  // until the server stops. Returns their id.
  virtual uint64_t AddTlsCertificates(TlsIdentityFor identity_for) = 0;
  // Serves one more listening TCP socket (bound and listening already; it may belong to another
  // network namespace, as a job's metadata endpoints do) with a handler of its own, as `tls`
  // says. The server owns `listening_fd` from now on. Returns the id RemoveListener takes.
  virtual Result<uint64_t> AddListener(int listening_fd, HttpHandler handler, ListenerTls tls) = 0;
  // Stops accepting on it and closes it; connections it accepted carry on.
  virtual void RemoveListener(uint64_t id) = 0;
  // Stops accepting, closes connections and joins the threads. Idempotent. Not to be called from
  // the handler: it joins the threads that run it.
  virtual void Stop() = 0;
};

// Binds and starts serving; an address in use is an error Status.
Result<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                    HttpHandler handler);

// "a=1&b=2&b=3" -> {a:[1], b:[2,3]}, decoded.
std::map<std::string, std::vector<std::string>> ParseQuery(std::string_view query);

}  // namespace gleaner
