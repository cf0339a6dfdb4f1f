// S3's HTTP handler (S3Api::Handle, src/api/s3_api.h) over a real ObjectStore in a fresh directory
// per input (under $TMPDIR, else /tmp; removed after the input): up to 8 requests in
// fuzz_request.h's text form, 1 s of FakeClock time apart, unsigned (authentication off, as
// `gleaner up --no-auth`). A Host header such as "b.s3.amazonaws.com" addresses bucket "b"
// virtual-hosted style. "$UPLOAD" and "$ETAG" in a request's path, query, headers or body stand for
// the last <UploadId> and the last ETag an answer gave, so that one input can create a multipart
// upload, upload a part and complete it. Each request is answered on S3Api's worker thread; every
// answer must be:
//   - the only one for its request (counted once S3Api's workers are joined),
//   - 2xx, 304 without a body, 4xx, or 501 NotImplemented (the subresources and operations S3Api
//     documents as unsupported), never another 5xx (an exception inside an operation is contained
//     as a 500 InternalError, so that rule catches it too),
//   - when 4xx or 501, S3's XML error document: <Error><Code>...</Code><Message>...</Error>.
// Not checked: what the store holds (src/api/s3_api_test.cc and tests/integration/test_s3.py do).
// Every write fsyncs (ObjectStore has no option to skip that): TMPDIR on a tmpfs (/dev/shm) makes
// those syncs free.
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/s3_api.h"
#include "common/clock.h"
#include "fuzz/api_world.h"
#include "fuzz/fuzz_request.h"
#include "objects/object_store.h"

namespace {

constexpr size_t kMaxRequests = 8;
constexpr int64_t kMillisBetweenRequests = 1'000;
// An answer later than this is reported as missing (libFuzzer's -timeout=10 covers a whole input).
constexpr auto kAnswerWait = std::chrono::seconds(5);
constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::string* temporary_root = nullptr;  // $TMPDIR when it is an absolute path, else /tmp
bool verbose = false;

void ReplaceAll(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

// What an answer gives for the next requests' "$UPLOAD" and "$ETAG".
void Remember(const gleaner::HttpResponse& response, std::map<std::string, std::string>& names) {
  for (const auto& [name, value] : response.headers) {
    if (name != "ETag") continue;
    std::string_view etag = value;
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
      etag = etag.substr(1, etag.size() - 2);
    }
    names["$ETAG"] = std::string(etag);
  }
  constexpr std::string_view kOpen = "<UploadId>";
  size_t start = response.body.find(kOpen);
  if (start == std::string::npos) return;
  start += kOpen.size();
  size_t end = response.body.find("</UploadId>", start);
  if (end != std::string::npos) names["$UPLOAD"] = response.body.substr(start, end - start);
}

void Substitute(gleaner::HttpRequest& request, const std::map<std::string, std::string>& names) {
  for (const auto& [name, value] : names) {
    ReplaceAll(request.path, name, value);
    ReplaceAll(request.query, name, value);
    ReplaceAll(request.body, name, value);
    for (auto& [header, header_value] : request.headers) ReplaceAll(header_value, name, value);
  }
}

// The code of S3's error document ("<Error><Code>NoSuchKey</Code><Message>...</Error>", after
// the XML declaration), or nullopt when `body` is not one.
std::optional<std::string_view> ErrorCode(std::string_view body) {
  if (body.starts_with(kXmlDeclaration)) body.remove_prefix(kXmlDeclaration.size());
  constexpr std::string_view kStart = "<Error><Code>";
  constexpr std::string_view kAfterCode = "</Code><Message>";
  if (!body.starts_with(kStart) || !body.ends_with("</Error>")) return std::nullopt;
  body.remove_prefix(kStart.size());
  size_t end = body.find(kAfterCode);
  if (end == 0 || end == std::string_view::npos) return std::nullopt;
  std::string_view code = body.substr(0, end);
  for (char c : code) {
    bool alphanumeric = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alphanumeric) return std::nullopt;
  }
  if (body.find("</Message>", end + kAfterCode.size()) == std::string_view::npos) {
    return std::nullopt;
  }
  return code;
}

// Which rule the answer breaks, or nullopt.
std::optional<std::string> BrokenRule(const gleaner::HttpResponse& response) {
  int status = response.status;
  if (status >= 200 && status < 300) return std::nullopt;
  if (status == 304) {
    if (!response.body.empty()) return "a 304 answer with a body";
    return std::nullopt;
  }
  if (!(status >= 400 && status < 500) && status != 501) {
    return "not a 2xx, 304, 4xx or 501 answer";
  }
  std::optional<std::string_view> code = ErrorCode(response.body);
  if (!code) return "an error answer that is not S3's XML error document";
  if (response.content_type != "application/xml") return "an error answer that is not XML";
  if (status == 501 && *code != "NotImplemented") return "a 501 answer that is not NotImplemented";
  return std::nullopt;
}

// The answers to one request, counted: S3Api must call its responder exactly once.
struct Answer {
  std::mutex mutex;
  int count = 0;
  std::promise<gleaner::HttpResponse> promise;
};

// One input's S3: a store in a fresh directory, S3Api over it, the requests sent so far.
class S3World {
 public:
  S3World() {
    directory_ = *temporary_root + "/gleaner-fuzz-s3-XXXXXX";
    if (mkdtemp(directory_.data()) == nullptr) gleaner::fuzz::Finding("mkdtemp failed");
    auto opened = gleaner::ObjectStore::Open(directory_, clock_, /*seed=*/1);
    if (!opened.ok()) Fail("the object store does not open: " + opened.status().message());
    store_ = std::move(*opened);
    gleaner::RequestAuthentication unsigned_requests;
    unsigned_requests.enabled = false;
    unsigned_requests.clock = &clock_;
    gleaner::S3ApiOptions options;
    options.threads = 1;  // requests are sent one at a time
    // Small, so that GetObject and CopyObject of an object larger than an answer may hold (their
    // 501 naming ranged GETs) are within an input's reach.
    options.max_object_bytes_in_memory = 1024;
    api_ = std::make_unique<gleaner::S3Api>(*store_, unsigned_requests, options);
  }
  S3World(const S3World&) = delete;
  S3World& operator=(const S3World&) = delete;
  ~S3World() {
    api_.reset();
    store_.reset();
    RemoveDirectory();
  }

  gleaner::HttpResponse Serve(gleaner::HttpRequest request) {
    clock_.Advance(kMillisBetweenRequests);
    sent_.push_back(request);  // for a finding's report (Handle takes the request)
    auto answer = std::make_shared<Answer>();
    answers_.push_back(answer);
    std::future<gleaner::HttpResponse> answered = answer->promise.get_future();
    try {
      api_->Handle(std::move(request), "fuzz-request-" + std::to_string(sent_.size()),
                   [answer](gleaner::HttpResponse response) {
                     std::lock_guard<std::mutex> lock(answer->mutex);
                     if (++answer->count == 1) answer->promise.set_value(std::move(response));
                   });
    } catch (const std::exception& e) {
      Fail("an exception escaped S3Api::Handle: " + std::string(e.what()) + "\n" +
           gleaner::fuzz::Describe(sent_.back()));
    } catch (...) {
      Fail("a non-std exception escaped S3Api::Handle\n" + gleaner::fuzz::Describe(sent_.back()));
    }
    if (answered.wait_for(kAnswerWait) != std::future_status::ready) {
      Fail("no answer within 5 s\n" + gleaner::fuzz::Describe(sent_.back()));
    }
    gleaner::HttpResponse response = answered.get();
    if (std::optional<std::string> broken = BrokenRule(response)) {
      Fail(*broken + "\n" + gleaner::fuzz::Describe(sent_.back()) +
           gleaner::fuzz::Describe(response));
    }
    if (verbose) {
      fprintf(stderr, "%s%s\n", gleaner::fuzz::Describe(sent_.back()).c_str(),
              gleaner::fuzz::Describe(response).c_str());
    }
    return response;
  }

  // Joins S3Api's workers, then checks that no request was answered twice.
  void Finish() {
    api_.reset();
    for (size_t i = 0; i < answers_.size(); ++i) {
      if (answers_[i]->count != 1) {
        Fail("S3Api answered " + std::to_string(answers_[i]->count) + " times\n" +
             gleaner::fuzz::Describe(sent_[i]));
      }
    }
  }

 private:
  [[noreturn]] void Fail(const std::string& what) {
    RemoveDirectory();  // best effort: a worker may still be writing in it
    gleaner::fuzz::Finding(what);
  }
  void RemoveDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  std::string directory_;
  gleaner::FakeClock clock_;
  std::unique_ptr<gleaner::ObjectStore> store_;
  std::unique_ptr<gleaner::S3Api> api_;
  std::vector<gleaner::HttpRequest> sent_;
  std::vector<std::shared_ptr<Answer>> answers_;
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  const char* tmpdir = getenv("TMPDIR");
  temporary_root = new std::string(tmpdir != nullptr && tmpdir[0] == '/' ? tmpdir : "/tmp");
  while (temporary_root->size() > 1 && temporary_root->back() == '/') temporary_root->pop_back();
  verbose = getenv("GLEANER_FUZZ_VERBOSE") != nullptr;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  S3World world;
  std::map<std::string, std::string> names;
  for (gleaner::HttpRequest& request : gleaner::fuzz::ParseFuzzRequests(text, kMaxRequests)) {
    Substitute(request, names);
    Remember(world.Serve(std::move(request)), names);
  }
  world.Finish();
  return 0;
}
