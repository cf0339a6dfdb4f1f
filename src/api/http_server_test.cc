#include "api/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <stdexcept>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/mutex.h"

namespace gleaner {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Response = http::response<http::string_body>;

std::string PostRequest(std::string_view target, std::string_view body,
                        std::string_view extra_headers = "") {
  std::string request = "POST ";
  request += target;
  request += " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
  request += extra_headers;
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  request += body;
  return request;
}

// A blocking HTTP client that writes exactly the bytes it is given.
class Client {
 public:
  explicit Client(uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  }

  void Send(std::string_view bytes) {
    net::write(socket_, net::buffer(bytes.data(), bytes.size()));
  }

  Response Read(bool head_request = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head_request);
    beast::error_code ec;
    http::read(socket_, buffer_, parser, ec);
    EXPECT_FALSE(ec) << ec.message();
    return parser.release();
  }

  Response Post(std::string_view target, std::string_view body) {
    Send(PostRequest(target, body));
    return Read();
  }

  // Reads raw bytes until `needle` has arrived (or the server closed); returns all read so far.
  std::string ReadUntil(std::string_view needle) {
    while (raw_.find(needle) == std::string::npos) {
      char bytes[1024];
      beast::error_code ec;
      size_t read = socket_.read_some(net::buffer(bytes), ec);
      raw_.append(bytes, read);
      if (ec) break;
    }
    return raw_;
  }

  // Blocks until the server closes its side; false if it sent anything instead.
  bool ServerClosed() {
    if (buffer_.size() > 0) return false;
    char byte;
    beast::error_code ec;
    socket_.read_some(net::buffer(&byte, 1), ec);
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  void Close() {
    beast::error_code ec;
    socket_.shutdown(tcp::socket::shutdown_both, ec);
    socket_.close(ec);
  }

 private:
  net::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
  std::string raw_;
};

// Runs tasks on its own thread, like the scheduler answering requests.
class Worker {
 public:
  Worker() : thread_([this] { Loop(); }) {}
  ~Worker() {
    {
      MutexLock lock(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  void Post(std::function<void()> task) {
    {
      MutexLock lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    wake_.notify_one();
  }

 private:
  void Loop() {
    MutexLock lock(mutex_);
    for (;;) {
      wake_.wait(lock.native(),
                 [this]() GLEANER_REQUIRES(mutex_) { return done_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.Unlock();
      task();
      lock.Lock();
    }
  }

  Mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_ GLEANER_GUARDED_BY(mutex_);
  bool done_ GLEANER_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

std::unique_ptr<HttpServer> Start(HttpHandler handler, HttpServerOptions options = {}) {
  auto server = StartHttpServer(options, std::move(handler));
  EXPECT_TRUE(server.ok()) << server.status().message();
  return std::move(server).value();
}

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

// Answers "<method> <path> ? <query> | <x-test header> | <body>".
void Echo(HttpRequest&& request, Responder respond) {
  auto header = request.headers.find("x-test");
  HttpResponse response = Text(
      201, request.method + " " + request.path + " ? " + request.query + " | " +
               (header == request.headers.end() ? "-" : header->second) + " | " + request.body);
  response.headers = {{"X-Echo", "yes"}, {"Content-Length", "999"}};
  respond(std::move(response));
}

TEST(HttpServerTest, AnswersARequest) {
  auto server = Start(Echo);
  ASSERT_NE(server->port(), 0);
  Client client(server->port());
  client.Send(PostRequest("/v1/tags/arn%3Aaws?tagKeys=a", "{}", "X-Test: Hello\r\n"));
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 201);
  EXPECT_EQ(response.body(), "POST /v1/tags/arn%3Aaws ? tagKeys=a | Hello | {}");
  EXPECT_EQ(response[http::field::content_type], "text/plain");
  EXPECT_EQ(response["X-Echo"], "yes");
  EXPECT_EQ(response[http::field::content_length], std::to_string(response.body().size()));
  EXPECT_TRUE(response.keep_alive());
}

TEST(HttpServerTest, LowerCasesHeaderNamesAndJoinsRepeats) {
  std::promise<HttpRequest> seen;
  auto server = Start([&](HttpRequest&& request, Responder respond) {
    seen.set_value(std::move(request));
    respond(Text(200, ""));
  });
  Client client(server->port());
  client.Send(
      "GET /x HTTP/1.1\r\nHost: h\r\nX-Amz-Date: 20240101T000000Z\r\nX-Multi: a\r\n"
      "x-multi: b\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 200);
  HttpRequest request = seen.get_future().get();
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/x");
  EXPECT_EQ(request.query, "");
  EXPECT_EQ(request.headers["x-amz-date"], "20240101T000000Z");
  EXPECT_EQ(request.headers["x-multi"], "a, b");
  EXPECT_EQ(request.headers.count("X-Amz-Date"), 0u);
}

TEST(HttpServerTest, AnswersFromAnotherThread) {
  Worker worker;
  auto server = Start([&](HttpRequest&& request, Responder respond) {
    worker.Post([body = std::move(request.body), respond = std::move(respond)] {
      respond(Text(200, "later:" + body));
    });
  });
  Client client(server->port());
  EXPECT_EQ(client.Post("/v1/submitjob", "abc").body(), "later:abc");
}

TEST(HttpServerTest, KeepsTheConnectionAlive) {
  std::atomic<int> calls = 0;
  Worker worker;
  auto server = Start([&](HttpRequest&& request, Responder respond) {
    ++calls;
    worker.Post([body = std::move(request.body), respond = std::move(respond)] {
      respond(Text(200, body));
    });
  });
  Client client(server->port());
  for (int i = 0; i < 5; ++i) {
    Response response = client.Post("/v1/listjobs", std::to_string(i));
    EXPECT_EQ(response.body(), std::to_string(i));
    EXPECT_TRUE(response.keep_alive());
  }
  // Pipelined: both requests in one write, answered in order.
  client.Send(PostRequest("/a", "first") + PostRequest("/b", "second"));
  EXPECT_EQ(client.Read().body(), "first");
  EXPECT_EQ(client.Read().body(), "second");
  EXPECT_EQ(calls, 7);
}

TEST(HttpServerTest, Http10ClosesUnlessAskedToKeepAlive) {
  auto server = Start(Echo);
  {
    Client client(server->port());
    client.Send("GET /old HTTP/1.0\r\n\r\n");
    Response response = client.Read();
    EXPECT_EQ(response.version(), 10);
    EXPECT_EQ(response.result_int(), 201);
    EXPECT_TRUE(client.ServerClosed());
  }
  Client client(server->port());
  for (int i = 0; i < 2; ++i) {
    client.Send("GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    Response response = client.Read();
    EXPECT_EQ(response[http::field::connection], "keep-alive");
    EXPECT_TRUE(response.keep_alive());
  }
}

TEST(HttpServerTest, HonoursConnectionClose) {
  auto server = Start(Echo);
  Client client(server->port());
  client.Send(PostRequest("/v1/x", "{}", "Connection: close\r\n"));
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 201);
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServerTest, HeadAnswerHasLengthButNoBody) {
  auto server = Start(Echo);
  Client client(server->port());
  client.Send("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\n");
  Response head = client.Read(/*head_request=*/true);
  EXPECT_EQ(head.result_int(), 201);
  EXPECT_EQ(head[http::field::content_length],
            std::to_string(std::string("HEAD /h ?  | - | ").size()));
  EXPECT_EQ(head.body(), "");
  // Had a body been sent, this response would be garbled by it.
  EXPECT_EQ(client.Post("/next", "n").body(), "POST /next ?  | - | n");
}

TEST(HttpServerTest, ReassemblesBodiesSentInPieces) {
  auto server = Start(Echo);
  Client client(server->port());
  client.Send("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 6\r\n\r\nabc");
  client.Send("def");
  EXPECT_EQ(client.Read().body(), "POST /p ?  | - | abcdef");
  client.Send(
      "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n");
  client.Send("2\r\nde\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().body(), "POST /c ?  | - | abcde");
}

struct SeenTooLarge {
  Mutex mutex;
  std::vector<HttpRequest> requests GLEANER_GUARDED_BY(mutex);
};

HttpHandler RejectTooLarge(SeenTooLarge& seen) {
  return [&seen](HttpRequest&& request, Responder respond) {
    bool too_large = request.body_too_large;
    {
      MutexLock lock(seen.mutex);
      seen.requests.push_back(std::move(request));
    }
    if (too_large) {
      HttpResponse response;
      response.status = 400;
      response.headers = {{"X-Amzn-ErrorType", "ClientException"}};
      response.body = R"({"__type":"ClientException","message":"too large"})";
      return respond(std::move(response));
    }
    respond(Text(200, "ok"));
  };
}

TEST(HttpServerTest, BodyOverTheLimitReachesTheHandlerFlagged) {
  SeenTooLarge seen;
  HttpServerOptions options;
  options.max_body_bytes = 16;
  auto server = Start(RejectTooLarge(seen), options);
  Client client(server->port());
  EXPECT_EQ(client.Post("/v1/submitjob", std::string(16, 'x')).body(), "ok");  // at the limit
  client.Send(PostRequest("/v1/submitjob", std::string(100'000, 'x'), "X-Test: big\r\n"));
  Response response = client.Read();
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_EQ(response["X-Amzn-ErrorType"], "ClientException");
  EXPECT_FALSE(response.keep_alive());
  EXPECT_TRUE(client.ServerClosed());
  MutexLock lock(seen.mutex);
  ASSERT_EQ(seen.requests.size(), 2u);
  const HttpRequest& request = seen.requests[1];
  EXPECT_TRUE(request.body_too_large);
  EXPECT_EQ(request.body, "");
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.path, "/v1/submitjob");
  EXPECT_EQ(request.headers.at("x-test"), "big");
}

TEST(HttpServerTest, ChunkedBodyOverTheLimitReachesTheHandlerFlagged) {
  SeenTooLarge seen;
  HttpServerOptions options;
  options.max_body_bytes = 16;
  auto server = Start(RejectTooLarge(seen), options);
  Client client(server->port());
  client.Send(
      "POST /v1/submitjob HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "a\r\n0123456789\r\n"
      "a\r\n0123456789\r\n0\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 400);
  EXPECT_TRUE(client.ServerClosed());
  MutexLock lock(seen.mutex);
  ASSERT_EQ(seen.requests.size(), 1u);
  EXPECT_TRUE(seen.requests[0].body_too_large);
  EXPECT_EQ(seen.requests[0].body, "");
}

TEST(HttpServerTest, ExpectContinueGetsAnInterimAnswer) {
  SeenTooLarge seen;
  HttpServerOptions options;
  options.max_body_bytes = 16;
  auto server = Start(RejectTooLarge(seen), options);
  Client client(server->port());
  client.Send(
      "POST /v1/x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 100);
  client.Send("hello");
  EXPECT_EQ(client.Read().body(), "ok");
  // Over the limit: rejected at once, without waiting for a body that will never come.
  client.Send(
      "POST /v1/x HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 500\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 400);
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServerTest, MalformedRequestGets400AndClose) {
  std::atomic<int> calls = 0;
  auto server = Start([&](HttpRequest&&, Responder respond) {
    ++calls;
    respond(Text(200, ""));
  });
  for (std::string_view garbage :
       {"this is not http\r\n\r\n", "GET / HTTP/1.1\r\nBad Header\r\n\r\n",
        "POST / HTTP/1.1\r\nContent-Length: nope\r\n\r\n"}) {
    Client client(server->port());
    client.Send(garbage);
    Response response = client.Read();
    EXPECT_EQ(response.result_int(), 400) << garbage;
    EXPECT_FALSE(response.keep_alive());
    EXPECT_TRUE(client.ServerClosed());
  }
  EXPECT_EQ(calls, 0);
}

TEST(HttpServerTest, OversizedHeaderGets431) {
  auto server = Start(Echo);
  Client client(server->port());
  client.Send("GET / HTTP/1.1\r\nX-Big: " + std::string(100'000, 'a') + "\r\n\r\n");
  EXPECT_EQ(client.Read().result_int(), 431);
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServerTest, DroppedResponderAnswers500) {
  Worker worker;
  auto server = Start([&](HttpRequest&& request, Responder respond) {
    if (request.path == "/drop-now") return;
    if (request.path == "/throw") throw std::runtime_error("handler bug");
    // Dropped later, on another thread.
    worker.Post([respond = std::move(respond)] {});
  });
  Client client(server->port());
  for (std::string_view path : {"/drop-now", "/throw", "/drop-later"}) {
    Response response = client.Post(path, "{}");
    EXPECT_EQ(response.result_int(), 500) << path;
    EXPECT_TRUE(response.keep_alive()) << path;
  }
}

TEST(HttpServerTest, OnlyTheFirstAnswerCounts) {
  auto server = Start([](HttpRequest&& request, Responder respond) {
    Responder copy = respond;
    respond(Text(200, "first:" + request.body));
    copy(Text(200, "second:" + request.body));
  });
  Client client(server->port());
  EXPECT_EQ(client.Post("/", "1").body(), "first:1");
  EXPECT_EQ(client.Post("/", "2").body(), "first:2");
}

TEST(HttpServerTest, SurvivesClientsThatLeave) {
  std::promise<Responder> held;
  std::atomic<int> calls = 0;
  auto server = Start([&](HttpRequest&& request, Responder respond) {
    ++calls;
    if (request.path == "/hold") return held.set_value(std::move(respond));
    respond(Text(200, "ok"));
  });
  {
    Client client(server->port());  // leaves in the middle of a request
    client.Send("POST /v1/x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
    client.Close();
  }
  {
    Client client(server->port());  // leaves while its request is being answered
    client.Send(PostRequest("/hold", "{}"));
    Responder respond = held.get_future().get();
    client.Close();
    respond(Text(200, "too late"));
  }
  Client client(server->port());
  EXPECT_EQ(client.Post("/v1/x", "{}").body(), "ok");
  EXPECT_EQ(calls, 2);
}

// A handler that answers with a stream and hands the first one's writer to the test.
HttpHandler Streaming(std::promise<std::shared_ptr<ResponseStream>>& writer) {
  auto given = std::make_shared<std::atomic<bool>>(false);
  return [&writer, given](HttpRequest&&, Responder respond) {
    HttpResponse response;
    response.content_type = "text/event-stream";
    response.headers.emplace_back("Cache-Control", "no-cache");
    response.stream = [&writer, given](std::shared_ptr<ResponseStream> stream) {
      stream->Write("first\n");
      if (!given->exchange(true)) writer.set_value(std::move(stream));
    };
    respond(std::move(response));
  };
}

TEST(HttpServerTest, StreamsABodyWrittenOverTime) {
  std::promise<std::shared_ptr<ResponseStream>> writer;
  auto server = Start(Streaming(writer));
  Client client(server->port());
  client.Send("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::string seen = client.ReadUntil("first\n");
  EXPECT_NE(seen.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_NE(seen.find("Content-Type: text/event-stream\r\n"), std::string::npos);
  EXPECT_NE(seen.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(seen.find("Content-Length"), std::string::npos);
  std::shared_ptr<ResponseStream> stream = writer.get_future().get();
  EXPECT_TRUE(stream->Write("second\n"));
  EXPECT_TRUE(stream->Write("third\n"));
  stream->Close();
  EXPECT_FALSE(stream->Write("after the end\n"));
  seen = client.ReadUntil("the server closes");  // not sent: reads to the end
  EXPECT_TRUE(seen.ends_with("\r\n\r\nfirst\nsecond\nthird\n")) << seen;
}

TEST(HttpServerTest, AStreamEndsWhenItsClientLeaves) {
  std::promise<std::shared_ptr<ResponseStream>> writer;
  auto server = Start(Streaming(writer));
  {
    Client client(server->port());
    client.Send("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n");
    client.ReadUntil("first\n");
    client.Close();
  }
  std::shared_ptr<ResponseStream> stream = writer.get_future().get();
  // The server notices the close on its own thread; writes fail from then on.
  bool ended = false;
  for (int i = 0; i < 500 && !ended; ++i) {
    ended = !stream->Write("x");
    if (!ended) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(ended);
  Client next(server->port());  // the server carries on
  next.Send("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_NE(next.ReadUntil("first\n").find("first\n"), std::string::npos);
}

TEST(HttpServerTest, StopClosesOpenConnectionsPromptly) {
  std::promise<Responder> held;
  auto server =
      Start([&](HttpRequest&&, Responder respond) { held.set_value(std::move(respond)); });
  Client idle(server->port());
  Client mid_request(server->port());
  mid_request.Send("POST /v1/x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
  Client waiting(server->port());
  waiting.Send(PostRequest("/v1/x", "{}"));
  Responder respond = held.get_future().get();

  server->Stop();
  EXPECT_TRUE(idle.ServerClosed());
  EXPECT_TRUE(mid_request.ServerClosed());
  EXPECT_TRUE(waiting.ServerClosed());
  server->Stop();  // idempotent
  respond(Text(200, "after stop"));
  server.reset();
  Responder copy = respond;
  respond(Text(200, "after destruction"));
  // Dropping the last copies after the server is gone must not touch it either.
}

TEST(HttpServerTest, ClosesIdleConnections) {
  HttpServerOptions options;
  options.idle_timeout_ms = 50;
  auto server = Start(Echo, options);
  Client client(server->port());
  EXPECT_EQ(client.Post("/", "x").result_int(), 201);
  EXPECT_TRUE(client.ServerClosed());
}

TEST(HttpServerTest, AddressInUseIsAnError) {
  auto server = Start(Echo);
  HttpServerOptions options;
  options.port = server->port();
  auto second = StartHttpServer(options, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().message();
}

TEST(HttpServerTest, UnusableHostIsAnError) {
  HttpServerOptions options;
  options.host = "192.0.2.1";  // TEST-NET-1: never a local address
  EXPECT_FALSE(StartHttpServer(options, Echo).ok());
  EXPECT_FALSE(StartHttpServer({}, nullptr).ok());
}

TEST(HttpServerTest, ServesManyClientsAtOnce) {
  Worker worker;
  auto server = Start([&](HttpRequest&& request, Responder respond) {
    worker.Post([body = std::move(request.body), respond = std::move(respond)] {
      respond(Text(200, body));
    });
  });
  constexpr int kClients = 8;
  constexpr int kRequests = 50;
  std::atomic<int> mismatches = 0;
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      Client client(server->port());
      for (int i = 0; i < kRequests; ++i) {
        std::string body = std::to_string(c) + "/" + std::to_string(i);
        if (client.Post("/v1/submitjob", body).body() != body) ++mismatches;
      }
    });
  }
  for (auto& thread : clients) thread.join();
  EXPECT_EQ(mismatches, 0);
}

TEST(PercentDecodeTest, DecodesEscapes) {
  EXPECT_EQ(PercentDecode("%2F", false), "/");
  EXPECT_EQ(PercentDecode("arn%3Aaws%3abatch", false), "arn:aws:batch");
  EXPECT_EQ(PercentDecode("a+b", false), "a+b");
  EXPECT_EQ(PercentDecode("a+b%20c", true), "a b c");
  EXPECT_EQ(PercentDecode("%E2%9C%93", false), "\xE2\x9C\x93");
  EXPECT_EQ(PercentDecode("", false), "");
}

TEST(PercentDecodeTest, KeepsMalformedEscapes) {
  EXPECT_EQ(PercentDecode("100%", false), "100%");
  EXPECT_EQ(PercentDecode("%4", false), "%4");
  EXPECT_EQ(PercentDecode("%zz%41", false), "%zzA");
}

TEST(ParseQueryTest, CollectsRepeatedKeys) {
  auto query = ParseQuery("tagKeys=a&tagKeys=b%2Fc&x=1+2&flag&&=empty");
  EXPECT_EQ(query["tagKeys"], (std::vector<std::string>{"a", "b/c"}));
  EXPECT_EQ(query["x"], (std::vector<std::string>{"1 2"}));
  EXPECT_EQ(query["flag"], (std::vector<std::string>{""}));
  EXPECT_EQ(query[""], (std::vector<std::string>{"empty"}));
  EXPECT_EQ(query.size(), 4u);
  EXPECT_TRUE(ParseQuery("").empty());
}

}  // namespace
}  // namespace gleaner
