#include "api/http_server.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <deque>
#include <exception>
#include <map>
#include <optional>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <variant>
#include <vector>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "common/ascii.h"
#include "common/mutex.h"

namespace gleaner {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Every connection runs on its own strand, so a session needs no locks; the concrete strand type
// (rather than any_io_executor) keeps posting a response free of type erasure.
using Strand = net::strand<net::io_context::executor_type>;
using StrandSocket = tcp::socket::rebind_executor<Strand>::other;
using Stream = beast::basic_stream<tcp, Strand, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<Stream>;
// A connection is plain or TLS for its whole life; each operation visits whichever it is.
using AnyStream = std::variant<Stream, TlsStream>;
using RequestParser = http::request_parser<http::string_body>;

// AWS requests carry a SigV4 Authorization header and a few x-amz-* headers: well under this.
constexpr uint32_t kHeaderLimit = 64 * 1024;
// After an answer that closes the connection, unread request bytes are drained this long (or up
// to this many bytes) before closing: closing with unread data sends a TCP RST, and the client
// may then discard the response it has not read yet.
constexpr auto kLingerTimeout = std::chrono::seconds(5);
constexpr size_t kLingerMaxBytes = size_t{64} << 20;
constexpr size_t kDrainChunk = 16 * 1024;
// A connection that once carried a large body gives the memory back once idle.
constexpr size_t kKeptBufferBytes = 64 * 1024;
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
// A TLS client has this long to finish its handshake.
constexpr auto kHandshakeTimeout = std::chrono::seconds(10);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// Lets responders (on any thread) post into the io_context only while it is guaranteed to live:
// Close() shuts the gate and waits for the posts already inside. Lock-free on the hot path.
class PostGate {
 public:
  bool Enter() {
    if (state_.fetch_add(kOne, std::memory_order_acquire) & kClosed) {
      Leave();
      return false;
    }
    return true;
  }
  void Leave() { state_.fetch_sub(kOne, std::memory_order_release); }
  void Close() {
    state_.fetch_or(kClosed, std::memory_order_acq_rel);
    // Whoever is inside is in the middle of one net::post: a short wait.
    while (state_.load(std::memory_order_acquire) != kClosed) std::this_thread::yield();
  }

 private:
  static constexpr uint64_t kClosed = 1;
  static constexpr uint64_t kOne = 2;
  std::atomic<uint64_t> state_{0};
};

std::unique_ptr<net::ssl::context> NewTlsContext() {
  auto tls = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                   net::ssl::context::no_tlsv1_1);
  return tls;
}

Result<std::unique_ptr<net::ssl::context>> NewTlsContext(const TlsIdentity& identity) {
  std::unique_ptr<net::ssl::context> tls = NewTlsContext();
  beast::error_code ec;
  tls->use_certificate_chain(net::buffer(identity.certificate_chain_pem), ec);
  if (!ec) tls->use_private_key(net::buffer(identity.private_key_pem), net::ssl::context::pem, ec);
  if (ec) return Status::Internal("cannot use a TLS certificate: " + ec.message());
  return tls;
}

// Certificates chosen by the name a client asks for (SNI), made once per name. Handshakes start
// with the base context (the certificate for clients that name no server); a named client's
// switches to the context for its name.
class CertificatesByName {
 public:
  explicit CertificatesByName(TlsIdentityFor identity_for)
      : identity_for_(std::move(identity_for)) {}

  Result<net::ssl::context*> Base() {
    MutexLock lock(mutex_);
    if (!base_) {
      Result<std::unique_ptr<net::ssl::context>> base = Make("");
      if (!base.ok()) return base.status();
      base_ = std::move(*base);
      SSL_CTX_set_tlsext_servername_callback(base_->native_handle(), &OnServerName);
      SSL_CTX_set_tlsext_servername_arg(base_->native_handle(), this);
    }
    return base_.get();
  }

 private:
  static constexpr size_t kMostNames = 4096;

  static int OnServerName(SSL* ssl, int* alert, void* self) {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (name == nullptr) return SSL_TLSEXT_ERR_NOACK;  // the base certificate
    Result<net::ssl::context*> context =
        static_cast<CertificatesByName*>(self)->For(AsciiLowercase(name));
    if (!context.ok()) {
      *alert = SSL_AD_UNRECOGNIZED_NAME;
      return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    // The connection holds its own reference to the context from here on.
    SSL_set_SSL_CTX(ssl, (*context)->native_handle());
    return SSL_TLSEXT_ERR_OK;
  }

  Result<net::ssl::context*> For(const std::string& name) {
    MutexLock lock(mutex_);
    auto found = by_name_.find(name);
    if (found != by_name_.end()) return found->second.get();
    Result<std::unique_ptr<net::ssl::context>> made = Make(name);
    if (!made.ok()) return made.status();
    if (by_name_.size() >= kMostNames) by_name_.clear();  // live connections keep theirs
    return (by_name_[name] = std::move(*made)).get();
  }

  Result<std::unique_ptr<net::ssl::context>> Make(const std::string& name) {
    Result<TlsIdentity> identity = Status::Internal("no certificate");
    try {
      identity = identity_for_(name);
    } catch (const std::exception& error) {
      return Status::Internal(std::string("no certificate: ") + error.what());
    }
    if (!identity.ok()) return identity.status();
    return NewTlsContext(*identity);
  }

  TlsIdentityFor identity_for_;
  Mutex mutex_;
  std::unique_ptr<net::ssl::context> base_ GLEANER_GUARDED_BY(mutex_);
  std::unordered_map<std::string, std::unique_ptr<net::ssl::context>> by_name_
      GLEANER_GUARDED_BY(mutex_);
};

class Session;
class StreamWriter;

// What sessions share with the server. Sessions hold a reference: they only use it from handlers
// running on the server's threads, which all end (joined) before the server goes away.
struct ServerContext {
  HttpHandler handler;
  std::unique_ptr<net::ssl::context> tls;  // null: plain HTTP
  size_t max_body_bytes = 0;
  size_t max_put_body_bytes = 0;
  std::chrono::milliseconds idle_timeout{0};
  std::shared_ptr<PostGate> gate = std::make_shared<PostGate>();

  // The registry owns the open sessions, so that Stop can close them and so that a session never
  // outlives the io_context (a responder held by the application keeps only a weak reference).
  // Touched on connect and disconnect only, never per request.
  Mutex sessions_mutex;
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions
      GLEANER_GUARDED_BY(sessions_mutex);

  void Register(std::shared_ptr<Session> session) {
    MutexLock lock(sessions_mutex);
    Session* key = session.get();
    sessions.emplace(key, std::move(session));
  }
  void Unregister(Session* session) {
    std::shared_ptr<Session> last;  // released after unlocking
    MutexLock lock(sessions_mutex);
    auto it = sessions.find(session);
    if (it == sessions.end()) return;
    last = std::move(it->second);
    sessions.erase(it);
  }
};

// One connection: read a request, hand it to the handler, wait for the answer, write it, repeat.
// Every member is touched on the session's strand only, except PostResponse.
class Session : public std::enable_shared_from_this<Session> {
 public:
  // `handler` null: the server's own; `tls` null: plain HTTP.
  Session(ServerContext& context, StrandSocket&& socket, net::ssl::context* tls,
          std::shared_ptr<const HttpHandler> handler = nullptr)
      : context_(context),
        handler_(std::move(handler)),
        strand_(socket.get_executor()),
        stream_(MakeStream(socket, tls)) {}

  void Start() {
    net::post(strand_, [self = shared_from_this()] {
      auto* tls = std::get_if<TlsStream>(&self->stream_);
      if (tls == nullptr) return self->ReadHeader();
      self->Lowest().expires_after(kHandshakeTimeout);
      tls->async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
        if (ec) return self->Close();  // not TLS, a bad certificate, a timeout: nothing to answer
        self->ReadHeader();
      });
    });
  }

  // Any thread: schedules the answer to the pending request on the strand.
  void PostResponse(HttpResponse response) {
    net::post(strand_, [self = shared_from_this(), response = std::move(response)]() mutable {
      self->OnResponse(std::move(response));
    });
  }

  // Stop only: no server thread runs any more, so touching the stream from here is safe.
  void CloseFromStop() { CloseSocket(); }

 private:
  static AnyStream MakeStream(StrandSocket& socket, net::ssl::context* tls) {
    if (tls == nullptr) return AnyStream(std::in_place_type<Stream>, std::move(socket));
    return AnyStream(std::in_place_type<TlsStream>, Stream(std::move(socket)), *tls);
  }
  // The TCP layer under either kind of stream: timeouts, shutdown, close.
  Stream& Lowest() {
    return std::visit([](auto& stream) -> Stream& { return beast::get_lowest_layer(stream); },
                      stream_);
  }
  void ReadHeader();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  void OnReadError(beast::error_code ec);
  void DispatchRequest(bool body_too_large);
  void RespondAndClose(int status, std::string message);
  void OnResponse(HttpResponse response);
  // A streamed response (HttpResponse::stream): the head, then chunks as the writer gives them.
  void StartStream(HttpResponse response);
  void WatchForClientClose();
  void QueueStreamChunk(std::string chunk);
  void WriteNextStreamChunk();
  void EndStream();
  void SerializeHead(const HttpResponse& response, bool send_body);
  void OnWrite(beast::error_code ec);
  void LingeringClose();
  void Drain();
  void Close();
  void CloseSocket();

  ServerContext& context_;
  std::shared_ptr<const HttpHandler> handler_;  // null: context_.handler
  const Strand strand_;
  AnyStream stream_;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string head_;  // status line and headers of the response being written; capacity reused
  std::string body_;
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_method_ = false;
  bool awaiting_response_ = false;
  bool closed_ = false;
  size_t drained_bytes_ = 0;
  // A streamed response's state.
  std::shared_ptr<StreamWriter> stream_writer_;
  std::deque<std::string> stream_queue_;
  size_t stream_queued_bytes_ = 0;
  bool stream_writing_ = false;
  bool stream_ending_ = false;
  std::array<char, 512> stream_read_buffer_{};

  friend class StreamWriter;
};

// What the application writes a streamed response with: each call is posted to the session's
// strand; once the session is gone (or ended the stream), writes say so.
class StreamWriter final : public ResponseStream {
 public:
  explicit StreamWriter(std::weak_ptr<Session> session) : session_(std::move(session)) {}
  bool Write(std::string chunk) override;
  void Close() override;
  void MarkEnded() { ended_.store(true, std::memory_order_relaxed); }

 private:
  std::weak_ptr<Session> session_;
  std::atomic<bool> ended_{false};
};

// Behind each Responder: answers at most once, and answers 500 if every copy of the Responder is
// dropped unanswered, so a forgetful handler cannot hang a connection.
class ResponseSlot {
 public:
  ResponseSlot(std::weak_ptr<Session> session, std::shared_ptr<PostGate> gate)
      : session_(std::move(session)), gate_(std::move(gate)) {}
  ResponseSlot(const ResponseSlot&) = delete;
  ResponseSlot& operator=(const ResponseSlot&) = delete;
  ~ResponseSlot() {
    // The last shared_ptr owner runs this, after every other use: relaxed is enough.
    if (answered_.load(std::memory_order_relaxed)) return;
    HttpResponse response;
    response.status = 500;
    response.content_type = "text/plain";
    response.body = "the request was dropped without an answer\n";
    Deliver(std::move(response));
  }

  void Answer(HttpResponse response) {
    if (answered_.exchange(true, std::memory_order_acq_rel)) return;  // only the first counts
    Deliver(std::move(response));
  }

 private:
  void Deliver(HttpResponse response) {
    if (!gate_->Enter()) return;  // the server is stopping or gone
    if (auto session = session_.lock()) session->PostResponse(std::move(response));
    gate_->Leave();
  }

  std::weak_ptr<Session> session_;
  std::shared_ptr<PostGate> gate_;
  std::atomic<bool> answered_{false};
};

void AppendLowerAscii(std::string& out, std::string_view text) {
  for (char c : text) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view ToStd(beast::string_view text) { return {text.data(), text.size()}; }

// Appends "name: value\r\n", dropping CR and LF so a handler cannot split the response.
void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  for (char c : name) {
    if (c != '\r' && c != '\n' && c != ':') out += c;
  }
  out += ": ";
  for (char c : value) {
    if (c != '\r' && c != '\n') out += c;
  }
  out += "\r\n";
}

void AppendNumber(std::string& out, uint64_t value) {
  std::array<char, 24> digits;
  auto result = std::to_chars(digits.data(), digits.data() + digits.size(), value);
  out.append(digits.data(), result.ptr);
}

// Framing headers belong to the server: a handler's copy would contradict the real framing.
bool IsFramingHeader(std::string_view name) {
  return EqualsIgnoringAsciiCase(name, "content-length") ||
         EqualsIgnoringAsciiCase(name, "connection") ||
         EqualsIgnoringAsciiCase(name, "transfer-encoding") ||
         EqualsIgnoringAsciiCase(name, "content-type");
}

void Session::ReadHeader() {
  if (buffer_.size() == 0 && buffer_.capacity() > kKeptBufferBytes) buffer_.shrink_to_fit();
  parser_.emplace();
  parser_->header_limit(kHeaderLimit);
  // The larger limit until the method is known (OnHeader): a Content-Length over it fails at once.
  parser_->body_limit(std::max(context_.max_body_bytes, context_.max_put_body_bytes));
  Lowest().expires_after(context_.idle_timeout);
  std::visit(
      [this](auto& stream) {
        http::async_read_header(
            stream, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
      },
      stream_);
}

void Session::OnHeader(beast::error_code ec) {
  // A Content-Length over the limit fails here, before any of the body is read.
  if (ec == http::error::body_limit) return DispatchRequest(/*body_too_large=*/true);
  if (ec) return OnReadError(ec);
  if (parser_->is_done()) return DispatchRequest(/*body_too_large=*/false);
  const auto& message = parser_->get();
  size_t limit =
      message.method() == http::verb::put ? context_.max_put_body_bytes : context_.max_body_bytes;
  if (parser_->content_length() && *parser_->content_length() > limit) {
    return DispatchRequest(/*body_too_large=*/true);
  }
  parser_->body_limit(limit);  // a chunked body is counted as it arrives
  auto expect = message.find(http::field::expect);
  if (message.version() == 11 && expect != message.end() &&
      EqualsIgnoringAsciiCase(ToStd(expect->value()), "100-continue")) {
    // The client waits for this before sending the body.
    std::visit(
        [this](auto& stream) {
          net::async_write(stream, net::buffer(kContinue.data(), kContinue.size()),
                           [self = shared_from_this()](beast::error_code write_ec, size_t) {
                             if (write_ec) return self->Close();
                             self->ReadBody();
                           });
        },
        stream_);
    return;
  }
  ReadBody();
}

void Session::ReadBody() {
  // Small requests usually arrive whole with the header: parse what is buffered right here, which
  // saves the extra completion round trip an async_read over buffered data would cost.
  while (buffer_.size() > 0 && !parser_->is_done()) {
    beast::error_code ec;
    size_t used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) break;
    if (ec) return OnBody(ec);
    if (used == 0) break;
  }
  if (parser_->is_done()) return OnBody({});
  std::visit(
      [this](auto& stream) {
        http::async_read(
            stream, buffer_, *parser_,
            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
      },
      stream_);
}

void Session::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) return DispatchRequest(/*body_too_large=*/true);
  if (ec) return OnReadError(ec);
  DispatchRequest(/*body_too_large=*/false);
}

void Session::OnReadError(beast::error_code ec) {
  static const beast::error_category& http_category =
      beast::error_code(http::error::bad_method).category();
  if (ec.category() != http_category || ec == http::error::end_of_stream ||
      ec == http::error::partial_message) {
    // Timeout, reset, or the client hung up (between requests or in the middle of one).
    return Close();
  }
  if (ec == http::error::header_limit) return RespondAndClose(431, "request header too large\n");
  RespondAndClose(400, "malformed HTTP request: " + ec.message() + "\n");
}

void Session::DispatchRequest(bool body_too_large) {
  auto& message = parser_->get();
  version_ = message.version() == 10 ? 10 : 11;
  keep_alive_ = !body_too_large && message.keep_alive();
  head_method_ = message.method() == http::verb::head;

  HttpRequest request;
  request.method = ToStd(message.method_string());
  std::string_view target = ToStd(message.target());
  size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string_view::npos) request.query = target.substr(question + 1);
  std::string name;
  for (const auto& field : message) {
    name.clear();
    AppendLowerAscii(name, ToStd(field.name_string()));
    auto [it, inserted] = request.headers.try_emplace(name, ToStd(field.value()));
    if (!inserted) {  // a repeated header is one comma-separated list (RFC 9110 section 5.3)
      it->second += ", ";
      it->second += ToStd(field.value());
    }
  }
  if (body_too_large) {
    request.body_too_large = true;
  } else {
    request.body = std::move(message.body());
  }
  parser_.reset();

  awaiting_response_ = true;
  Lowest().expires_never();  // the application takes its time; the idle timer resumes after
  auto slot = std::make_shared<ResponseSlot>(weak_from_this(), context_.gate);
  try {
    const HttpHandler& handler = handler_ ? *handler_ : context_.handler;
    handler(std::move(request), [slot = std::move(slot)](HttpResponse response) mutable {
      slot->Answer(std::move(response));
    });
  } catch (...) {
    // A throwing handler is a bug in the application; the slot answers 500 unless it already
    // answered, and the connection carries on.
  }
}

void Session::RespondAndClose(int status, std::string message) {
  version_ = 11;
  keep_alive_ = false;
  head_method_ = false;
  awaiting_response_ = true;
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(message);
  OnResponse(std::move(response));
}

void Session::OnResponse(HttpResponse response) {
  if (closed_ || !awaiting_response_) return;
  awaiting_response_ = false;
  if (response.stream && !head_method_ && response.status == 200) {
    return StartStream(std::move(response));
  }
  if (response.status < 200 || response.status > 599) response.status = 500;
  // 204 and 304 never carry a body; a HEAD answer announces its length but sends none.
  bool has_body = response.status != 204 && response.status != 304;
  SerializeHead(response, has_body);
  if (has_body && !head_method_) {
    body_ = std::move(response.body);
  } else {
    body_.clear();
  }
  Lowest().expires_after(context_.idle_timeout);
  std::array<net::const_buffer, 2> buffers = {net::buffer(head_), net::buffer(body_)};
  std::visit(
      [this, &buffers](auto& stream) {
        net::async_write(
            stream, buffers,
            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
      },
      stream_);
}

void Session::SerializeHead(const HttpResponse& response, bool has_body) {
  head_.clear();
  head_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  AppendNumber(head_, static_cast<uint64_t>(response.status));
  head_ += ' ';
  std::string_view reason =
      ToStd(http::obsolete_reason(static_cast<http::status>(response.status)));
  head_ += reason.starts_with('<') ? std::string_view("Unknown") : reason;
  head_ += "\r\n";
  if (!response.content_type.empty()) AppendHeader(head_, "Content-Type", response.content_type);
  for (const auto& [name, value] : response.headers) {
    if (!IsFramingHeader(name)) AppendHeader(head_, name, value);
  }
  if (has_body) {
    head_ += "Content-Length: ";
    AppendNumber(head_, head_method_ && response.head_content_length ? *response.head_content_length
                                                                     : response.body.size());
    head_ += "\r\n";
  }
  if (!keep_alive_) {
    head_ += "Connection: close\r\n";
  } else if (version_ == 10) {
    head_ += "Connection: keep-alive\r\n";
  }
  head_ += "\r\n";
}

void Session::OnWrite(beast::error_code ec) {
  if (ec) return Close();
  body_.clear();
  if (!keep_alive_) return LingeringClose();
  ReadHeader();
}

void Session::StartStream(HttpResponse response) {
  keep_alive_ = false;  // the body ends when the connection does
  SerializeHead(response, /*has_body=*/false);
  Lowest().expires_never();
  std::visit(
      [this, &response](auto& stream) {
        net::async_write(stream, net::buffer(head_),
                         [self = shared_from_this(), start = std::move(response.stream)](
                             beast::error_code ec, size_t) {
                           if (ec) return self->Close();
                           auto writer = std::make_shared<StreamWriter>(self);
                           self->stream_writer_ = writer;
                           self->WatchForClientClose();
                           try {
                             start(writer);
                           } catch (...) {
                             self->EndStream();
                           }
                         });
      },
      stream_);
}

void Session::WatchForClientClose() {
  // A client of a stream sends nothing more; when its side closes (or anything fails) the stream
  // ends. Reads go to the TCP layer: over TLS the bytes are a close_notify, ignored as data.
  Lowest().socket().async_read_some(net::buffer(stream_read_buffer_),
                                    [self = shared_from_this()](beast::error_code ec, size_t) {
                                      if (ec) return self->Close();
                                      self->WatchForClientClose();
                                    });
}

void Session::QueueStreamChunk(std::string chunk) {
  if (closed_ || stream_ending_) return;
  stream_queued_bytes_ += chunk.size();
  if (stream_queued_bytes_ > ResponseStream::kMaxStreamBacklogBytes) return Close();
  stream_queue_.push_back(std::move(chunk));
  if (!stream_writing_) WriteNextStreamChunk();
}

void Session::WriteNextStreamChunk() {
  if (stream_queue_.empty()) {
    stream_writing_ = false;
    if (stream_ending_) Close();
    return;
  }
  stream_writing_ = true;
  std::visit(
      [this](auto& stream) {
        net::async_write(stream, net::buffer(stream_queue_.front()),
                         [self = shared_from_this()](beast::error_code ec, size_t) {
                           if (ec) return self->Close();
                           self->stream_queued_bytes_ -= self->stream_queue_.front().size();
                           self->stream_queue_.pop_front();
                           self->WriteNextStreamChunk();
                         });
      },
      stream_);
}

void Session::EndStream() {
  stream_ending_ = true;
  if (!stream_writing_) Close();
}

bool StreamWriter::Write(std::string chunk) {
  if (ended_.load(std::memory_order_relaxed)) return false;
  std::shared_ptr<Session> session = session_.lock();
  if (!session) {
    MarkEnded();
    return false;
  }
  net::post(session->strand_, [session, chunk = std::move(chunk)]() mutable {
    session->QueueStreamChunk(std::move(chunk));
  });
  return true;
}

void StreamWriter::Close() {
  MarkEnded();
  if (std::shared_ptr<Session> session = session_.lock()) {
    net::post(session->strand_, [session] { session->EndStream(); });
  }
}

void Session::LingeringClose() {
  beast::error_code ec;
  // Over TLS too: the response's framing tells the client where it ends, so no close_notify.
  Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) return Close();
  drained_bytes_ = 0;
  buffer_.clear();
  Lowest().expires_after(kLingerTimeout);
  Drain();
}

void Session::Drain() {
  // Unread request bytes are drained from the TCP layer: past the response, TLS has nothing to say.
  Lowest().async_read_some(buffer_.prepare(kDrainChunk),
                           [self = shared_from_this()](beast::error_code ec, size_t bytes) {
                             self->drained_bytes_ += bytes;
                             if (ec || self->drained_bytes_ > kLingerMaxBytes) return self->Close();
                             self->Drain();
                           });
}

void Session::Close() {
  if (closed_) return;
  if (stream_writer_) stream_writer_->MarkEnded();
  CloseSocket();
  context_.Unregister(this);  // the running handler still holds a reference
}

void Session::CloseSocket() {
  closed_ = true;
  beast::error_code ec;
  Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
  Lowest().close();
}

class HttpServerImpl final : public HttpServer {
 public:
  HttpServerImpl(const HttpServerOptions& options, HttpHandler handler)
      : ioc_(std::max(options.threads, 1)),
        work_(net::make_work_guard(ioc_)),
        acceptor_(ioc_),
        accept_retry_timer_(ioc_) {
    context_.handler = std::move(handler);
    context_.max_body_bytes = options.max_body_bytes;
    context_.max_put_body_bytes = options.max_put_body_bytes;
    context_.idle_timeout = std::chrono::milliseconds(std::max(options.idle_timeout_ms, 1));
  }
  HttpServerImpl(const HttpServerImpl&) = delete;
  HttpServerImpl& operator=(const HttpServerImpl&) = delete;
  ~HttpServerImpl() override { Stop(); }

  uint16_t port() const override { return port_; }

  // Serves TLS with this certificate chain and key (PEM files).
  Status UseTls(const std::string& certificate_file, const std::string& private_key_file) {
    std::unique_ptr<net::ssl::context> tls = NewTlsContext();
    beast::error_code ec;
    tls->use_certificate_chain_file(certificate_file, ec);
    if (ec) {
      return Status::InvalidArgument("--tls-cert " + certificate_file +
                                     ": cannot load a PEM certificate chain: " + ec.message());
    }
    tls->use_private_key_file(private_key_file, net::ssl::context::pem, ec);
    if (ec &&
        ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == X509_R_KEY_VALUES_MISMATCH) {
      return Status::InvalidArgument("--tls-key " + private_key_file +
                                     " is not the private key of the certificate in " +
                                     certificate_file);
    }
    if (ec) {
      return Status::InvalidArgument("--tls-key " + private_key_file +
                                     ": cannot load a PEM private key: " + ec.message());
    }
    context_.tls = std::move(tls);
    return Status::Ok();
  }

  Status Listen(const std::string& host, uint16_t port) {
    beast::error_code ec;
    tcp::endpoint endpoint;
    net::ip::address address = net::ip::make_address(host, ec);
    if (!ec) {
      endpoint = tcp::endpoint(address, port);
    } else {
      tcp::resolver resolver(ioc_);
      auto results = resolver.resolve(host, std::to_string(port),
                                      tcp::resolver::passive | tcp::resolver::numeric_service, ec);
      if (ec || results.empty()) {
        return Status::InvalidArgument("cannot resolve HTTP host '" + host + "': " + ec.message());
      }
      endpoint = results.begin()->endpoint();
    }
    std::string where = host + ":" + std::to_string(port);
    if (acceptor_.open(endpoint.protocol(), ec); ec) {
      return Status::Internal("cannot open a socket for " + where + ": " + ec.message());
    }
    // Lets a restarted server rebind while old connections sit in TIME_WAIT; a live listener on
    // the port still makes bind fail.
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (acceptor_.bind(endpoint, ec); ec) {
      if (ec == net::error::address_in_use) {
        return Status::FailedPrecondition("cannot listen on " + where + ": address already in use");
      }
      return Status::InvalidArgument("cannot listen on " + where + ": " + ec.message());
    }
    if (acceptor_.listen(net::socket_base::max_listen_connections, ec); ec) {
      return Status::Internal("cannot listen on " + where + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint(ec).port();
    return Status::Ok();
  }

  Status Run(int threads) {
    Accept();
    try {
      for (int i = 0; i < std::max(threads, 1); ++i) threads_.emplace_back([this] { RunLoop(); });
    } catch (const std::system_error& e) {
      Stop();
      return Status::Internal(std::string("cannot start HTTP threads: ") + e.what());
    }
    return Status::Ok();
  }

  uint64_t AddTlsCertificates(TlsIdentityFor identity_for) override {
    MutexLock lock(listeners_mutex_);
    uint64_t id = ++last_certificates_id_;
    certificates_[id] = std::make_unique<CertificatesByName>(std::move(identity_for));
    return id;
  }

  Result<uint64_t> AddListener(int listening_fd, HttpHandler handler, ListenerTls tls) override {
    net::ssl::context* context = nullptr;
    if (tls.enabled && tls.certificates == 0) {
      context = context_.tls.get();  // none: plain, as the server itself
    } else if (tls.enabled) {
      MutexLock lock(listeners_mutex_);
      auto found = certificates_.find(tls.certificates);
      if (found == certificates_.end()) {
        ::close(listening_fd);
        return Status::InvalidArgument("no TLS certificates with id " +
                                       std::to_string(tls.certificates));
      }
      Result<net::ssl::context*> base = found->second->Base();
      if (!base.ok()) {
        ::close(listening_fd);
        return base.status();
      }
      context = *base;
    }
    auto listener = std::make_shared<Listener>(ioc_);
    beast::error_code ec;
    listener->acceptor.assign(tcp::v4(), listening_fd, ec);
    if (ec) {
      ::close(listening_fd);
      return Status::Internal("cannot serve a listening socket: " + ec.message());
    }
    listener->handler = std::make_shared<const HttpHandler>(std::move(handler));
    listener->tls = context;
    uint64_t id;
    {
      MutexLock lock(listeners_mutex_);
      id = ++last_listener_id_;
      listeners_[id] = listener;
    }
    net::post(listener->strand, [this, listener] { AcceptOn(listener); });
    return id;
  }

  void RemoveListener(uint64_t id) override {
    std::shared_ptr<Listener> listener;
    {
      MutexLock lock(listeners_mutex_);
      auto it = listeners_.find(id);
      if (it == listeners_.end()) return;
      listener = std::move(it->second);
      listeners_.erase(it);
    }
    // On its strand: an acceptor is not safe to close while another thread starts an accept.
    net::post(listener->strand, [listener] {
      beast::error_code ignored;
      listener->acceptor.close(ignored);
    });
  }

  // Must not be called from a handler running on this server's threads (it joins them).
  void Stop() override {
    MutexLock lock(stop_mutex_);
    if (stopped_) return;
    stopped_ = true;
    context_.gate->Close();  // from now on responders leave the io_context alone
    ioc_.stop();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    beast::error_code ec;
    acceptor_.close(ec);
    accept_retry_timer_.cancel();
    {
      MutexLock listeners_lock(listeners_mutex_);
      for (auto& [id, listener] : listeners_) listener->acceptor.close(ec);
      listeners_.clear();
    }
    std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
    {
      MutexLock sessions_lock(context_.sessions_mutex);
      sessions.swap(context_.sessions);
    }
    for (auto& [key, session] : sessions) session->CloseFromStop();
    // Sessions still referenced by unrun handlers go when the io_context is destroyed.
  }

 private:
  void RunLoop() {
    for (;;) {
      try {
        ioc_.run();
        return;
      } catch (const std::exception&) {
        // Handlers catch what the application throws; anything else (say bad_alloc) costs one
        // connection, not the server.
      }
    }
  }

  // A listening socket the server was given (AddListener), with a handler of its own.
  struct Listener {
    explicit Listener(net::io_context& ioc) : strand(net::make_strand(ioc)), acceptor(strand) {}
    net::strand<net::io_context::executor_type> strand;
    tcp::acceptor acceptor;
    std::shared_ptr<const HttpHandler> handler;
    net::ssl::context* tls = nullptr;  // the server's or certificates_'; null: plain
  };

  void AcceptOn(const std::shared_ptr<Listener>& listener) {
    if (!listener->acceptor.is_open()) return;
    listener->acceptor.async_accept(
        net::make_strand(ioc_), [this, listener](beast::error_code ec, StrandSocket socket) {
          if (ec == net::error::operation_aborted || !listener->acceptor.is_open()) return;
          if (!ec) {
            beast::error_code ignored;
            socket.set_option(tcp::no_delay(true), ignored);
            auto session = std::make_shared<Session>(context_, std::move(socket), listener->tls,
                                                     listener->handler);
            context_.Register(session);
            session->Start();
          }
          // An error (out of descriptors, say) is retried on the next connection attempt.
          net::post(listener->strand, [this, listener] { AcceptOn(listener); });
        });
  }

  void Accept() {
    acceptor_.async_accept(
        net::make_strand(ioc_),
        [this](beast::error_code ec, StrandSocket socket) { OnAccept(ec, std::move(socket)); });
  }

  void OnAccept(beast::error_code ec, StrandSocket socket) {
    if (ec == net::error::operation_aborted) return;
    if (ec) {
      // Typically out of file descriptors: retrying at once would spin.
      accept_retry_timer_.expires_after(kAcceptRetryDelay);
      accept_retry_timer_.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec) Accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small answers must not wait for Nagle
    auto session = std::make_shared<Session>(context_, std::move(socket), context_.tls.get());
    context_.Register(session);
    session->Start();
    Accept();
  }

  // Declared first: sessions referenced by handlers still queued in ioc_ refer to it until the
  // io_context is destroyed.
  ServerContext context_;
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_retry_timer_;
  std::vector<std::thread> threads_;
  uint16_t port_ = 0;
  Mutex stop_mutex_;
  bool stopped_ GLEANER_GUARDED_BY(stop_mutex_) = false;
  Mutex listeners_mutex_;
  std::map<uint64_t, std::shared_ptr<Listener>> listeners_ GLEANER_GUARDED_BY(listeners_mutex_);
  uint64_t last_listener_id_ GLEANER_GUARDED_BY(listeners_mutex_) = 0;
  std::map<uint64_t, std::unique_ptr<CertificatesByName>> certificates_
      GLEANER_GUARDED_BY(listeners_mutex_);
  uint64_t last_certificates_id_ GLEANER_GUARDED_BY(listeners_mutex_) = 0;
};

}  // namespace

Result<std::unique_ptr<HttpServer>> StartHttpServer(const HttpServerOptions& options,
                                                    HttpHandler handler) {
  if (!handler) return Status::InvalidArgument("StartHttpServer needs a handler");
  auto server = std::make_unique<HttpServerImpl>(options, std::move(handler));
  if (!options.tls_certificate_file.empty() || !options.tls_private_key_file.empty()) {
    if (options.tls_certificate_file.empty() || options.tls_private_key_file.empty()) {
      return Status::InvalidArgument("TLS needs both --tls-cert and --tls-key");
    }
    GLEANER_RETURN_IF_ERROR(
        server->UseTls(options.tls_certificate_file, options.tls_private_key_file));
  }
  GLEANER_RETURN_IF_ERROR(server->Listen(options.host, options.port));
  GLEANER_RETURN_IF_ERROR(server->Run(options.threads));
  return std::unique_ptr<HttpServer>(std::move(server));
}

std::map<std::string, std::vector<std::string>> ParseQuery(std::string_view query) {
  std::map<std::string, std::vector<std::string>> params;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view key = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    params[PercentDecode(key, true)].push_back(PercentDecode(value, true));
  }
  return params;
}

}  // namespace gleaner
