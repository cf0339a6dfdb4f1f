// gleaner_bench: a load generator for gleaner's AWS Batch API (rest-json over HTTP/1.1).
//
//   gleaner_bench submit  --endpoint URL --queue Q --definition D --clients C --jobs N
//   gleaner_bench e2e     --endpoint URL --queue Q --definition D --clients C --jobs N
//   gleaner_bench array   --endpoint URL --queue Q --definition D --jobs N
//   gleaner_bench latency --endpoint URL --queue Q --definition D --samples S
//
// submit: C threads send N SubmitJob requests between them, each on its own keep-alive
//   connection; prints the rate and the p50/p99 latency of the (durable) answers.
// e2e: submits N jobs running `true`, then polls DescribeJobs (batches of 100, every --poll-ms,
//   default 50) until all are SUCCEEDED; prints N / (first submit -> all seen SUCCEEDED).
// array: one array job of N children running `true`; prints the SubmitJob time and N / (submit ->
//   parent seen SUCCEEDED).
// latency: one job at a time, SubmitJob -> seen SUCCEEDED; prints the median of S samples.
//
// Every figure is printed as one JSON object on stdout; any unexpected answer from the server
// (not 200, no jobId, a FAILED job) aborts the run with exit status 1.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <nlohmann/json.hpp>

#include "api/aws_credentials.h"
#include "common/clock.h"

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr size_t kDescribeBatch = 100;  // AWS's DescribeJobs limit
constexpr size_t kResponseBodyLimit = size_t{64} << 20;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double MillisSince(Clock::time_point start) { return SecondsSince(start) * 1000.0; }

// ---- Command line ----

struct Options {
  std::string command;
  std::string endpoint;
  std::string queue;
  std::string definition;
  int clients = 1;
  int jobs = 1000;
  int samples = 20;
  int poll_ms = 50;
};

int ToInt(const std::string& flag, const std::string& text) {
  size_t used = 0;
  int value = 0;
  try {
    value = std::stoi(text, &used);
  } catch (const std::logic_error&) {  // not a number, or out of range
    used = 0;
  }
  if (used == 0 || used != text.size() || value <= 0) {
    throw std::invalid_argument(flag + " must be a positive integer, not \"" + text + "\"");
  }
  return value;
}

void SetOption(Options& options, const std::string& flag, const std::string& value) {
  if (flag == "--endpoint") {
    options.endpoint = value;
  } else if (flag == "--queue") {
    options.queue = value;
  } else if (flag == "--definition") {
    options.definition = value;
  } else if (flag == "--clients") {
    options.clients = ToInt(flag, value);
  } else if (flag == "--jobs") {
    options.jobs = ToInt(flag, value);
  } else if (flag == "--samples") {
    options.samples = ToInt(flag, value);
  } else if (flag == "--poll-ms") {
    options.poll_ms = ToInt(flag, value);
  } else {
    throw std::invalid_argument("unknown option " + flag);
  }
}

Options ParseOptions(int argc, char** argv) {
  if (argc < 2) throw std::invalid_argument("missing subcommand (submit, e2e, array or latency)");
  Options options;
  options.command = argv[1];
  for (int index = 2; index < argc; index += 2) {
    if (index + 1 >= argc) throw std::invalid_argument(std::string(argv[index]) + " needs a value");
    SetOption(options, argv[index], argv[index + 1]);
  }
  if (options.endpoint.empty() || options.queue.empty() || options.definition.empty()) {
    throw std::invalid_argument("--endpoint, --queue and --definition are required");
  }
  return options;
}

// ---- HTTP ----

struct Endpoint {
  std::string host;
  std::string port;
};

Endpoint ParseEndpoint(const std::string& url) {
  const std::string scheme = "http://";
  if (url.rfind(scheme, 0) != 0) throw std::invalid_argument("--endpoint must start with http://");
  std::string authority = url.substr(scheme.size());
  authority = authority.substr(0, authority.find('/'));
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos) return {authority, "80"};
  return {authority.substr(0, colon), authority.substr(colon + 1)};
}

// One keep-alive HTTP/1.1 connection, used by one thread.
class Connection {
 public:
  explicit Connection(const Endpoint& endpoint)
      : host_(endpoint.port == "80" ? endpoint.host : endpoint.host + ":" + endpoint.port),
        credentials_(gleaner::CredentialsFromEnvironment()),
        stream_(io_) {
    tcp::resolver resolver(io_);
    stream_.connect(resolver.resolve(endpoint.host, endpoint.port));
    stream_.socket().set_option(tcp::no_delay(true));
  }

  // POSTs `body` to /v1/<operation>; throws unless the answer is 200 with a JSON body.
  json Call(const std::string& operation, const std::string& body) {
    http::request<http::string_body> request{http::verb::post, "/v1/" + operation, 11};
    std::map<std::string, std::string> headers{{"Host", host_},
                                               {"Content-Type", "application/json"}};
    if (credentials_) {  // SigV4, as every AWS client signs (AWS_ACCESS_KEY_ID/..._SECRET_...)
      gleaner::SignSigV4("POST", "/v1/" + operation, "", headers, body, *credentials_, "us-east-1",
                         "batch", gleaner::SystemClock().NowMillis());
    }
    for (const auto& [name, value] : headers) request.set(name, value);
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();
    http::write(stream_, request);
    http::response_parser<http::string_body> parser;
    parser.body_limit(kResponseBodyLimit);
    http::read(stream_, buffer_, parser);
    const auto& response = parser.get();
    if (response.result_int() != 200) {
      throw std::runtime_error(operation + " answered " + std::to_string(response.result_int()) +
                               ": " + response.body());
    }
    return json::parse(response.body());
  }

 private:
  std::string host_;
  std::optional<gleaner::SigV4Credentials> credentials_;
  net::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

// ---- Submitting ----

std::string SubmitBody(const Options& options, int index, bool run_true) {
  json body{{"jobName", "b" + std::to_string(index)},
            {"jobQueue", options.queue},
            {"jobDefinition", options.definition}};
  if (run_true) body["containerOverrides"] = {{"command", json::array({"true"})}};
  return body.dump();
}

std::string SubmitOne(Connection& connection, const std::string& body) {
  json answer = connection.Call("submitjob", body);
  auto id = answer.find("jobId");
  if (id == answer.end() || !id->is_string() || id->get<std::string>().empty()) {
    throw std::runtime_error("SubmitJob answered without a jobId: " + answer.dump());
  }
  return id->get<std::string>();
}

struct SubmitResult {
  std::vector<std::string> job_ids;  // by submission index
  std::vector<double> latencies_ms;
  double seconds = 0;
};

// What one client thread does: claim the next index until N are taken.
struct ClientWork {
  const Options& options;
  bool run_true;
  std::atomic<int>& next;
  SubmitResult& result;
  std::vector<double>& latencies_ms;
  std::exception_ptr& error;

  void operator()() const {
    try {
      Connection connection(ParseEndpoint(options.endpoint));
      for (int index = next++; index < options.jobs; index = next++) {
        auto start = Clock::now();
        result.job_ids[static_cast<size_t>(index)] =
            SubmitOne(connection, SubmitBody(options, index, run_true));
        latencies_ms.push_back(MillisSince(start));
      }
    } catch (...) {
      error = std::current_exception();
      next = options.jobs;  // stops the other clients soon
    }
  }
};

SubmitResult SubmitAll(const Options& options, bool run_true) {
  SubmitResult result;
  result.job_ids.resize(static_cast<size_t>(options.jobs));
  auto clients = static_cast<size_t>(options.clients);
  std::vector<std::vector<double>> latencies(clients);
  std::vector<std::exception_ptr> errors(clients);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (size_t client = 0; client < clients; ++client) {
    threads.emplace_back(
        ClientWork{options, run_true, next, result, latencies[client], errors[client]});
  }
  for (std::thread& thread : threads) thread.join();
  result.seconds = SecondsSince(start);
  for (const std::exception_ptr& error : errors) {
    if (error) std::rethrow_exception(error);
  }
  for (const auto& own : latencies) {
    result.latencies_ms.insert(result.latencies_ms.end(), own.begin(), own.end());
  }
  return result;
}

double Percentile(std::vector<double> values, double fraction) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto rank = static_cast<size_t>(fraction * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

// A figure as printed: members in a fixed order, numbers with a fixed number of decimals.
class Report {
 public:
  Report& Text(const std::string& name, const std::string& value) {
    return Raw(name, json(value).dump());
  }
  Report& Int(const std::string& name, int64_t value) { return Raw(name, std::to_string(value)); }
  Report& Fixed(const std::string& name, double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return Raw(name, text);
  }
  std::string ToString() const {
    std::string out = "{";
    for (const auto& [name, value] : members_) {
      out += (out.size() > 1 ? "," : "") + json(name).dump() + ":" + value;
    }
    return out + "}";
  }

 private:
  Report& Raw(const std::string& name, std::string value) {
    members_.emplace_back(name, std::move(value));
    return *this;
  }
  std::vector<std::pair<std::string, std::string>> members_;
};

Report RunSubmit(const Options& options) {
  SubmitResult result = SubmitAll(options, false);
  return Report()
      .Text("figure", "submit")
      .Int("jobs", options.jobs)
      .Int("clients", options.clients)
      .Fixed("seconds", result.seconds, 4)
      .Fixed("jobs_per_s", options.jobs / result.seconds, 1)
      .Fixed("p50_ms", Percentile(result.latencies_ms, 0.50), 3)
      .Fixed("p99_ms", Percentile(result.latencies_ms, 0.99), 3);
}

// ---- Waiting for completion ----

// What the server says about finished jobs: its own first-created and last-stopped times.
struct ServerSpan {
  int64_t first_created = INT64_MAX;
  int64_t last_stopped = 0;

  void Add(const json& job) {
    first_created = std::min(first_created, job.value("createdAt", INT64_MAX));
    last_stopped = std::max(last_stopped, job.value("stoppedAt", int64_t{0}));
  }
  double Seconds() const {
    return last_stopped >= first_created ? (last_stopped - first_created) / 1000.0 : 0;
  }
};

std::string DescribeBody(const std::vector<std::string>& ids, size_t count) {
  json jobs = json::array();
  for (size_t index = 0; index < count; ++index) jobs.push_back(ids[index]);
  return json{{"jobs", jobs}}.dump();
}

// Describes the first (up to) 100 unfinished jobs and drops the SUCCEEDED ones from `pending`.
// Returns true when that whole batch had succeeded (so polling again at once is worthwhile).
bool PollOnce(Connection& connection, std::vector<std::string>& pending, ServerSpan& span) {
  size_t count = std::min(pending.size(), kDescribeBatch);
  json answer = connection.Call("describejobs", DescribeBody(pending, count));
  std::map<std::string, bool> succeeded;
  for (const json& job : answer.at("jobs")) {
    std::string status = job.at("status").get<std::string>();
    if (status == "FAILED") {
      throw std::runtime_error("job " + job.at("jobId").get<std::string>() +
                               " FAILED: " + job.value("statusReason", std::string()));
    }
    if (status == "SUCCEEDED") {
      succeeded[job.at("jobId").get<std::string>()] = true;
      span.Add(job);
    }
  }
  auto head_end = pending.begin() + static_cast<std::ptrdiff_t>(count);
  auto kept = std::remove_if(pending.begin(), head_end,
                             [&](const std::string& id) { return succeeded.count(id) > 0; });
  bool all_done = kept == pending.begin();
  pending.erase(kept, head_end);
  return all_done;
}

ServerSpan WaitAllSucceeded(Connection& connection, std::vector<std::string> pending, int poll_ms) {
  ServerSpan span;
  while (!pending.empty()) {
    if (!PollOnce(connection, pending, span)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
    }
  }
  return span;
}

Report RunEndToEnd(const Options& options) {
  auto start = Clock::now();
  SubmitResult submitted = SubmitAll(options, true);
  Connection poller(ParseEndpoint(options.endpoint));
  ServerSpan span = WaitAllSucceeded(poller, std::move(submitted.job_ids), options.poll_ms);
  double seconds = SecondsSince(start);
  return Report()
      .Text("figure", "e2e")
      .Int("jobs", options.jobs)
      .Int("clients", options.clients)
      .Fixed("seconds", seconds, 4)
      .Fixed("jobs_per_s", options.jobs / seconds, 1)
      .Fixed("submit_seconds", submitted.seconds, 4)
      .Fixed("server_seconds", span.Seconds(), 3)
      .Int("poll_ms", options.poll_ms);
}

// ---- Array job ----

// Polls the parent of an array job until it is SUCCEEDED (all children succeeded).
json WaitArraySucceeded(Connection& connection, const std::string& parent_id, int poll_ms) {
  std::string body = json{{"jobs", json::array({parent_id})}}.dump();
  while (true) {
    json answer = connection.Call("describejobs", body);
    const json& parent = answer.at("jobs").at(0);
    std::string status = parent.at("status").get<std::string>();
    if (status == "SUCCEEDED") return parent;
    if (status == "FAILED") {
      throw std::runtime_error("array job " + parent_id +
                               " FAILED: " + parent.value("statusReason", std::string()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(poll_ms));
  }
}

Report RunArray(const Options& options) {
  Connection connection(ParseEndpoint(options.endpoint));
  json body = json::parse(SubmitBody(options, 0, true));
  body["arrayProperties"] = {{"size", options.jobs}};
  auto start = Clock::now();
  std::string parent_id = SubmitOne(connection, body.dump());
  double accept_ms = MillisSince(start);
  json parent = WaitArraySucceeded(connection, parent_id, options.poll_ms);
  double seconds = SecondsSince(start);
  ServerSpan span;
  span.Add(parent);
  return Report()
      .Text("figure", "array")
      .Int("jobs", options.jobs)
      .Fixed("submit_ms", accept_ms, 3)
      .Fixed("seconds", seconds, 4)
      .Fixed("jobs_per_s", options.jobs / seconds, 1)
      .Fixed("server_seconds", span.Seconds(), 3)
      .Int("poll_ms", options.poll_ms);
}

// ---- Single-job latency ----

struct LatencySample {
  double client_ms = 0;  // submit sent -> SUCCEEDED observed
  double server_ms = 0;  // createdAt -> stoppedAt
};

LatencySample MeasureOne(Connection& connection, const Options& options, int index) {
  auto start = Clock::now();
  std::vector<std::string> pending{SubmitOne(connection, SubmitBody(options, index, true))};
  ServerSpan span;
  while (!pending.empty()) {
    if (!PollOnce(connection, pending, span)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(options.poll_ms));
    }
  }
  return {MillisSince(start), span.Seconds() * 1000.0};
}

Report RunLatency(const Options& options) {
  Connection connection(ParseEndpoint(options.endpoint));
  std::vector<double> client_ms;
  std::vector<double> server_ms;
  auto started = Clock::now();
  for (int sample = 0; sample < options.samples; ++sample) {
    LatencySample measured = MeasureOne(connection, options, sample);
    client_ms.push_back(measured.client_ms);
    server_ms.push_back(measured.server_ms);
  }
  return Report()
      .Text("figure", "latency")
      .Int("samples", options.samples)
      .Fixed("median_ms", Percentile(client_ms, 0.5), 3)
      .Fixed("max_ms", Percentile(client_ms, 1.0), 3)
      .Fixed("server_median_ms", Percentile(server_ms, 0.5), 3)
      .Int("poll_ms", options.poll_ms)
      .Fixed("wall_seconds", SecondsSince(started), 3);
}

Report Run(const Options& options) {
  if (options.command == "submit") return RunSubmit(options);
  if (options.command == "e2e") return RunEndToEnd(options);
  if (options.command == "array") return RunArray(options);
  if (options.command == "latency") return RunLatency(options);
  throw std::invalid_argument("unknown subcommand \"" + options.command +
                              "\" (submit, e2e, array or latency)");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::cout << Run(ParseOptions(argc, argv)).ToString() << std::endl;
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "gleaner_bench: " << error.what() << "\n";
    return 1;
  }
}
