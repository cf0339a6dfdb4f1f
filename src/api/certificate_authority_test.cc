#include "api/certificate_authority.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "api/http_server.h"

namespace gleaner {
namespace {

namespace fs = std::filesystem;
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

class CertificateAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    directory_ = fs::temp_directory_path() / ("gleaner-ca-test-" + std::to_string(getpid()));
    fs::remove_all(directory_);
  }
  void TearDown() override { fs::remove_all(directory_); }

  std::string Directory() const { return (directory_ / "ca").string(); }

  fs::path directory_;
};

X509* ReadCertificate(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return certificate;
}

// Whether `chain_pem`'s first certificate is valid for `name` under the authority `ca_pem`.
bool VerifiesFor(const std::string& chain_pem, const std::string& ca_pem, const std::string& name) {
  X509* leaf = ReadCertificate(chain_pem);
  X509* authority = ReadCertificate(ca_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, authority);
  X509_STORE_CTX* context = X509_STORE_CTX_new();
  X509_STORE_CTX_init(context, store, leaf, nullptr);
  X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(context), name.c_str(), name.size());
  bool verified = X509_verify_cert(context) == 1;
  X509_STORE_CTX_free(context);
  X509_STORE_free(store);
  X509_free(authority);
  X509_free(leaf);
  return verified;
}

TEST_F(CertificateAuthorityTest, IssuesCertificatesThatVerifyForTheirNamesOnly) {
  auto authority = CertificateAuthority::OpenOrCreate(Directory());
  ASSERT_TRUE(authority.ok()) << authority.status().message();
  auto issued = (*authority)->IssueServerCertificate({"*.s3.amazonaws.com", "s3.amazonaws.com"});
  ASSERT_TRUE(issued.ok()) << issued.status().message();
  const std::string& ca = (*authority)->certificate_pem();
  EXPECT_TRUE(VerifiesFor(issued->certificate_chain_pem, ca, "my-bucket.s3.amazonaws.com"));
  EXPECT_TRUE(VerifiesFor(issued->certificate_chain_pem, ca, "s3.amazonaws.com"));
  EXPECT_FALSE(VerifiesFor(issued->certificate_chain_pem, ca, "batch.us-east-1.amazonaws.com"));
  EXPECT_FALSE(VerifiesFor(issued->certificate_chain_pem, ca, "example.com"));
  EXPECT_NE(issued->private_key_pem.find("PRIVATE KEY"), std::string::npos);
}

TEST_F(CertificateAuthorityTest, ReopensTheSameAuthorityWithAPrivateKeyFile) {
  std::string first;
  {
    auto authority = CertificateAuthority::OpenOrCreate(Directory());
    ASSERT_TRUE(authority.ok()) << authority.status().message();
    first = (*authority)->certificate_pem();
    EXPECT_EQ((*authority)->certificate_file(), Directory() + "/ca.pem");
  }
  EXPECT_EQ(fs::status(Directory() + "/ca-key.pem").permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  auto again = CertificateAuthority::OpenOrCreate(Directory());
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ((*again)->certificate_pem(), first);
  // What the first one issued and what the second issues verify under the same authority.
  auto issued = (*again)->IssueServerCertificate({"sts.amazonaws.com"});
  ASSERT_TRUE(issued.ok());
  EXPECT_TRUE(VerifiesFor(issued->certificate_chain_pem, first, "sts.amazonaws.com"));
}

TEST_F(CertificateAuthorityTest, AHalfMissingAuthorityIsAnErrorNotANewOne) {
  ASSERT_TRUE(CertificateAuthority::OpenOrCreate(Directory()).ok());
  fs::remove(Directory() + "/ca-key.pem");
  auto reopened = CertificateAuthority::OpenOrCreate(Directory());
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.status().message().find("ca-key.pem is missing"), std::string::npos)
      << reopened.status().message();
}

TEST_F(CertificateAuthorityTest, RefusesNamesACertificateCannotHold) {
  auto authority = CertificateAuthority::OpenOrCreate(Directory());
  ASSERT_TRUE(authority.ok());
  EXPECT_FALSE((*authority)->IssueServerCertificate({}).ok());
  EXPECT_FALSE((*authority)->IssueServerCertificate({"a,DNS:evil.com"}).ok());
  EXPECT_FALSE((*authority)->IssueServerCertificate({"a.*.com"}).ok());
}

// A listening socket on 127.0.0.1, as a job's network gives the HTTP server.
int ListenOnLoopback(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), size) != 0 || listen(fd, 16) != 0) return -1;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
  port = ntohs(address.sin_port);
  return fd;
}

// GET / over TLS naming `server_name` (none when empty), trusting only `ca_pem` and checking the
// certificate against `verify_name`; the body, or "" when the handshake fails.
std::string GetOverTls(uint16_t port, const std::string& server_name,
                       const std::string& verify_name, const std::string& ca_pem) {
  net::io_context ioc;
  net::ssl::context tls(net::ssl::context::tls_client);
  tls.add_certificate_authority(net::buffer(ca_pem));
  tls.set_verify_mode(net::ssl::verify_peer);
  net::ssl::stream<tcp::socket> stream(ioc, tls);
  if (!server_name.empty()) SSL_set_tlsext_host_name(stream.native_handle(), server_name.c_str());
  stream.set_verify_callback(net::ssl::host_name_verification(verify_name));
  stream.next_layer().connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  boost::system::error_code ec;
  stream.handshake(net::ssl::stream_base::client, ec);
  if (ec) return "";
  http::request<http::string_body> request{http::verb::get, "/", 11};
  request.set(http::field::host, verify_name);
  http::write(stream, request);
  boost::beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response.body();
}

TEST_F(CertificateAuthorityTest, AListenerAnswersEachServerNameWithItsOwnCertificate) {
  auto authority = CertificateAuthority::OpenOrCreate(Directory());
  ASSERT_TRUE(authority.ok());
  HttpServerOptions options;
  auto server = StartHttpServer(options, [](HttpRequest&&, Responder respond) {
    HttpResponse response;
    response.body = "main";
    respond(std::move(response));
  });
  ASSERT_TRUE(server.ok());
  std::vector<std::string> asked;
  std::mutex asked_mutex;
  uint64_t certificates =
      (*server)->AddTlsCertificates([&](const std::string& name) -> Result<TlsIdentity> {
        std::lock_guard lock(asked_mutex);
        asked.push_back(name);
        if (name == "refused.example") return Status::NotFound("not ours");
        return (*authority)->IssueServerCertificate({name.empty() ? "*.amazonaws.com" : name});
      });
  uint16_t port = 0;
  int fd = ListenOnLoopback(port);
  ASSERT_GE(fd, 0);
  auto listener = (*server)->AddListener(
      fd,
      [](HttpRequest&& request, Responder respond) {
        HttpResponse response;
        response.body = "job:" + request.headers["host"];
        respond(std::move(response));
      },
      ListenerTls{.enabled = true, .certificates = certificates});
  ASSERT_TRUE(listener.ok()) << listener.status().message();
  const std::string& ca = (*authority)->certificate_pem();
  EXPECT_EQ(GetOverTls(port, "my-bucket.s3.amazonaws.com", "my-bucket.s3.amazonaws.com", ca),
            "job:my-bucket.s3.amazonaws.com");
  EXPECT_EQ(GetOverTls(port, "batch.us-east-1.amazonaws.com", "batch.us-east-1.amazonaws.com", ca),
            "job:batch.us-east-1.amazonaws.com");
  // A name is made once and kept.
  EXPECT_EQ(GetOverTls(port, "my-bucket.s3.amazonaws.com", "my-bucket.s3.amazonaws.com", ca),
            "job:my-bucket.s3.amazonaws.com");
  // A certificate for one name does not pass for another.
  EXPECT_EQ(GetOverTls(port, "my-bucket.s3.amazonaws.com", "other.s3.amazonaws.com", ca), "");
  // No name: the base certificate.
  EXPECT_EQ(GetOverTls(port, "", "s3.amazonaws.com", ca), "job:s3.amazonaws.com");
  EXPECT_EQ(GetOverTls(port, "refused.example", "refused.example", ca), "");
  {
    std::lock_guard lock(asked_mutex);
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "my-bucket.s3.amazonaws.com"), 1);
    EXPECT_EQ(std::count(asked.begin(), asked.end(), ""), 1);
  }
  (*server)->RemoveListener(*listener);
  (*server)->Stop();
}

TEST_F(CertificateAuthorityTest, UnknownCertificatesIdIsRefused) {
  auto server = StartHttpServer(HttpServerOptions{},
                                [](HttpRequest&&, Responder respond) { respond(HttpResponse{}); });
  ASSERT_TRUE(server.ok());
  uint16_t port = 0;
  int fd = ListenOnLoopback(port);
  auto listener = (*server)->AddListener(
      fd, [](HttpRequest&&, Responder) {}, ListenerTls{.enabled = true, .certificates = 42});
  EXPECT_FALSE(listener.ok());
}

}  // namespace
}  // namespace gleaner
