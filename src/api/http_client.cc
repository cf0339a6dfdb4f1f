#include "api/http_client.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <type_traits>
#include <variant>

#include "api/aws_credentials.h"
#include "common/clock.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace gleaner {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
namespace ssl = boost::asio::ssl;

struct HttpClient::Connection {
  boost::asio::io_context io;
  std::unique_ptr<ssl::context> tls;  // https: outlives the stream that uses it
  std::variant<std::monostate, beast::tcp_stream, beast::ssl_stream<beast::tcp_stream>> stream;
  std::string host;
  std::string port;
  std::string default_port;
  beast::flat_buffer buffer;
  std::optional<SigV4Credentials> credentials;
  std::string region;

  beast::tcp_stream& Tcp() {
    if (auto* plain = std::get_if<beast::tcp_stream>(&stream)) return *plain;
    return beast::get_lowest_layer(std::get<beast::ssl_stream<beast::tcp_stream>>(stream));
  }
};

namespace {

// The request as sent: Host with the port (what signing covers), and signed when credentials
// were given.
http::request<http::string_body> BuildRequest(const HttpClient::Connection& connection,
                                              http::verb method, const std::string& target,
                                              const std::string& body,
                                              const std::map<std::string, std::string>& headers) {
  std::map<std::string, std::string> all = headers;
  all["Host"] = connection.port == connection.default_port
                    ? connection.host
                    : connection.host + ":" + connection.port;
  if (connection.credentials) {
    size_t question = target.find('?');
    std::string path = target.substr(0, question);
    std::string query = question == std::string::npos ? "" : target.substr(question + 1);
    SignSigV4(std::string(http::to_string(method)), path, query, all, body, *connection.credentials,
              connection.region, "batch", SystemClock().NowMillis());
  }
  http::request<http::string_body> request{method, target, 11};
  for (const auto& [name, value] : all) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  return request;
}

// Verifies the server as a browser would: against `ca_file` (or the system's roots) and its name.
Result<std::unique_ptr<ssl::context>> ClientTls(const std::string& ca_file) {
  auto tls = std::make_unique<ssl::context>(ssl::context::tls_client);
  tls->set_verify_mode(ssl::verify_peer);
  boost::system::error_code error;
  if (ca_file.empty()) {
    tls->set_default_verify_paths(error);
  } else {
    tls->load_verify_file(ca_file, error);
  }
  if (error) {
    return Status::InvalidArgument("cannot load the CA certificates " +
                                   (ca_file.empty() ? "of the system" : ca_file) + ": " +
                                   error.message());
  }
  return tls;
}

}  // namespace

void HttpClient::SetCredentials(SigV4Credentials credentials, std::string region) {
  connection_->credentials = std::move(credentials);
  connection_->region = std::move(region);
}

HttpClient::HttpClient(Connection* connection) : connection_(connection) {}
HttpClient::HttpClient(HttpClient&& other) noexcept : connection_(other.connection_) {
  other.connection_ = nullptr;
}
HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  std::swap(connection_, other.connection_);
  return *this;
}
HttpClient::~HttpClient() { delete connection_; }

Result<HttpClient> HttpClient::Connect(const std::string& endpoint) {
  return Connect(endpoint, std::chrono::milliseconds::zero());
}

Result<HttpClient> HttpClient::Connect(const std::string& endpoint,
                                       std::chrono::milliseconds timeout,
                                       const std::string& ca_file) {
  bool https = endpoint.rfind("https://", 0) == 0;
  if (!https && endpoint.rfind("http://", 0) != 0) {
    return Status::InvalidArgument("--endpoint \"" + endpoint +
                                   "\" must start with http:// or https://");
  }
  std::string authority = endpoint.substr(https ? 8 : 7);
  authority = authority.substr(0, authority.find('/'));
  auto colon = authority.rfind(':');
  auto connection = std::make_unique<Connection>();
  connection->host = colon == std::string::npos ? authority : authority.substr(0, colon);
  connection->default_port = https ? "443" : "80";
  connection->port =
      colon == std::string::npos ? connection->default_port : authority.substr(colon + 1);
  if (https) {
    Result<std::unique_ptr<ssl::context>> tls = ClientTls(ca_file);
    if (!tls.ok()) return tls.status();
    connection->tls = std::move(*tls);
    auto& stream = connection->stream.emplace<beast::ssl_stream<beast::tcp_stream>>(
        connection->io, *connection->tls);
    stream.set_verify_callback(ssl::host_name_verification(connection->host));
    // SNI for names (an IP address is not sent).
    boost::system::error_code not_ip;
    boost::asio::ip::make_address(connection->host, not_ip);
    if (not_ip) SSL_set_tlsext_host_name(stream.native_handle(), connection->host.c_str());
  } else {
    connection->stream.emplace<beast::tcp_stream>(connection->io);
  }
  boost::system::error_code error;
  tcp::resolver resolver(connection->io);
  auto addresses = resolver.resolve(connection->host, connection->port, error);
  beast::tcp_stream& tcp_stream = connection->Tcp();
  if (!error) {
    if (timeout != std::chrono::milliseconds::zero()) tcp_stream.expires_after(timeout);
    tcp_stream.async_connect(addresses, [&error](boost::system::error_code result,
                                                 const tcp::endpoint&) { error = result; });
    connection->io.run();
  }
  if (!error && https) {
    connection->io.restart();
    std::get<beast::ssl_stream<beast::tcp_stream>>(connection->stream)
        .async_handshake(ssl::stream_base::client,
                         [&error](boost::system::error_code result) { error = result; });
    connection->io.run();
  }
  tcp_stream.expires_never();
  if (error) {
    return Status::InvalidArgument("cannot reach gleaner at " + endpoint + ": " + error.message());
  }
  return HttpClient(connection.release());
}

Result<HttpClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::map<std::string, std::string>& headers) {
  return Post(path, body, headers, std::chrono::milliseconds::zero());
}

Result<HttpClientResponse> HttpClient::Get(const std::string& path,
                                           const std::map<std::string, std::string>& headers) {
  return Exchange("GET", path, "", headers, std::chrono::milliseconds::zero());
}

Result<HttpClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::map<std::string, std::string>& headers,
                                            std::chrono::milliseconds timeout) {
  return Exchange("POST", path, body, headers, timeout);
}

Result<HttpClientResponse> HttpClient::Exchange(const std::string& method, const std::string& path,
                                                const std::string& body,
                                                const std::map<std::string, std::string>& headers,
                                                std::chrono::milliseconds timeout) {
  http::request<http::string_body> request =
      BuildRequest(*connection_, http::string_to_verb(method), path, body, headers);
  http::response<http::string_body> response;
  boost::system::error_code error;
  Connection& connection = *connection_;
  // Asynchronous Beast operations, run to completion here, honour the stream's timer (the
  // stream is closed when it expires); synchronous ones would not.
  connection.io.restart();
  if (timeout != std::chrono::milliseconds::zero()) connection.Tcp().expires_after(timeout);
  std::visit(
      [&](auto& stream) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(stream)>, std::monostate>) {
          http::async_write(stream, request, [&](boost::system::error_code written, size_t) {
            if (written) {
              error = written;
              return;
            }
            http::async_read(stream, connection.buffer, response,
                             [&error](boost::system::error_code read, size_t) { error = read; });
          });
        }
      },
      connection.stream);
  connection.io.run();
  connection.Tcp().expires_never();
  if (error) {
    connection.Tcp().close();
    return Status::Internal("request to gleaner failed: " + error.message());
  }
  return HttpClientResponse{static_cast<int>(response.result_int()), std::move(response.body())};
}

void HttpClient::Interrupt() {
  Connection* connection = connection_;
  boost::asio::post(connection->io, [connection] { connection->Tcp().cancel(); });
}

Result<HttpClient> ConnectWithAwsCredentials(const std::string& endpoint) {
  // AWS_CA_BUNDLE: the CA file every AWS SDK and the AWS CLI trust for https endpoints.
  const char* ca_bundle = std::getenv("AWS_CA_BUNDLE");
  Result<HttpClient> client =
      HttpClient::Connect(endpoint, std::chrono::milliseconds::zero(), ca_bundle ? ca_bundle : "");
  if (!client.ok()) return client;
  if (std::optional<SigV4Credentials> credentials = CredentialsFromEnvironment()) {
    client->SetCredentials(std::move(*credentials), RegionFromEnvironment());
  }
  return client;
}

}  // namespace gleaner
