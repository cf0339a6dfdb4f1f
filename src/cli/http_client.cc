#include "cli/http_client.h"

#include <optional>

#include "api/aws_credentials.h"
#include "common/clock.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace gleaner {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpClient::Connection {
  boost::asio::io_context io;
  beast::tcp_stream stream{io};
  std::string host;
  std::string port;
  beast::flat_buffer buffer;
  std::optional<SigV4Credentials> credentials;
  std::string region;
};

namespace {

// The request as sent: Host with the port (what signing covers), and signed when credentials
// were given.
http::request<http::string_body> BuildRequest(const HttpClient::Connection& connection,
                                              const std::string& target, const std::string& body,
                                              const std::map<std::string, std::string>& headers) {
  std::map<std::string, std::string> all = headers;
  all["Host"] = connection.port == "80" ? connection.host : connection.host + ":" + connection.port;
  if (connection.credentials) {
    size_t question = target.find('?');
    std::string path = target.substr(0, question);
    std::string query = question == std::string::npos ? "" : target.substr(question + 1);
    SignSigV4("POST", path, query, all, body, *connection.credentials, connection.region, "batch",
              SystemClock().NowMillis());
  }
  http::request<http::string_body> request{http::verb::post, target, 11};
  for (const auto& [name, value] : all) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  return request;
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
                                       std::chrono::milliseconds timeout) {
  const std::string scheme = "http://";
  if (endpoint.rfind(scheme, 0) != 0) {
    return Status::InvalidArgument("--endpoint \"" + endpoint + "\" must start with http://");
  }
  std::string authority = endpoint.substr(scheme.size());
  authority = authority.substr(0, authority.find('/'));
  auto colon = authority.rfind(':');
  auto connection = std::make_unique<Connection>();
  connection->host = colon == std::string::npos ? authority : authority.substr(0, colon);
  connection->port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  boost::system::error_code error;
  tcp::resolver resolver(connection->io);
  auto addresses = resolver.resolve(connection->host, connection->port, error);
  if (!error && timeout == std::chrono::milliseconds::zero()) {
    connection->stream.connect(addresses, error);
  } else if (!error) {
    connection->stream.expires_after(timeout);
    connection->stream.async_connect(addresses, [&error](boost::system::error_code result,
                                                         const tcp::endpoint&) { error = result; });
    connection->io.run();
    connection->stream.expires_never();
  }
  if (error) {
    return Status::InvalidArgument("cannot reach gleaner at " + endpoint + ": " + error.message());
  }
  return HttpClient(connection.release());
}

Result<HttpClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::map<std::string, std::string>& headers) {
  http::request<http::string_body> request = BuildRequest(*connection_, path, body, headers);
  boost::system::error_code error;
  http::write(connection_->stream, request, error);
  http::response<http::string_body> response;
  if (!error) http::read(connection_->stream, connection_->buffer, response, error);
  if (error) return Status::Internal("request to gleaner failed: " + error.message());
  return HttpClientResponse{static_cast<int>(response.result_int()), std::move(response.body())};
}

Result<HttpClientResponse> HttpClient::Post(const std::string& path, const std::string& body,
                                            const std::map<std::string, std::string>& headers,
                                            std::chrono::milliseconds timeout) {
  http::request<http::string_body> request = BuildRequest(*connection_, path, body, headers);
  http::response<http::string_body> response;
  boost::system::error_code error;
  Connection& connection = *connection_;
  // Synchronous Beast operations ignore the stream's timer; the asynchronous ones, run to
  // completion here, honour it (the stream is closed when it expires).
  connection.io.restart();
  connection.stream.expires_after(timeout);
  http::async_write(connection.stream, request,
                    [&connection, &response, &error](boost::system::error_code written, size_t) {
                      if (written) {
                        error = written;
                        return;
                      }
                      http::async_read(
                          connection.stream, connection.buffer, response,
                          [&error](boost::system::error_code read, size_t) { error = read; });
                    });
  connection.io.run();
  connection.stream.expires_never();
  if (error) {
    connection.stream.close();
    return Status::Internal("request to gleaner failed: " + error.message());
  }
  return HttpClientResponse{static_cast<int>(response.result_int()), std::move(response.body())};
}

void HttpClient::Interrupt() {
  Connection* connection = connection_;
  boost::asio::post(connection->io, [connection] { connection->stream.cancel(); });
}

Result<HttpClient> ConnectWithAwsCredentials(const std::string& endpoint) {
  Result<HttpClient> client = HttpClient::Connect(endpoint);
  if (!client.ok()) return client;
  if (std::optional<SigV4Credentials> credentials = CredentialsFromEnvironment()) {
    client->SetCredentials(std::move(*credentials), RegionFromEnvironment());
  }
  return client;
}

}  // namespace gleaner
