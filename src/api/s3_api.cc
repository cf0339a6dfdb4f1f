// S3 on gleaner's endpoint: which requests are S3's, who sent them, and which operation they are.
#include "api/s3_api.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "api/s3_wire.h"
#include "api/sigv4.h"
#include "common/ascii.h"
#include "common/contain.h"

namespace gleaner {
namespace {

constexpr std::string_view kS3Scope = "/s3/aws4_request";

std::string HostName(const HttpRequest& request) {
  auto host = request.headers.find("host");
  if (host == request.headers.end()) return "";
  std::string name = host->second;
  size_t colon = name.rfind(':');
  if (colon != std::string::npos && name.find(']') == std::string::npos) name.resize(colon);
  return AsciiLowercase(name);
}

// "<bucket>.s3.amazonaws.com", "<bucket>.s3.us-east-1.amazonaws.com",
// "<bucket>.s3-us-east-1.amazonaws.com": the bucket; "s3.amazonaws.com" and the like: "" (path
// style). nullopt when the host is not S3's.
std::optional<std::string> VirtualHostedBucket(const std::string& host) {
  if (!host.ends_with(".amazonaws.com")) return std::nullopt;
  if (host.starts_with("s3.") || host.starts_with("s3-")) return std::string();
  for (std::string_view label : {".s3.", ".s3-"}) {
    size_t at = host.find(label);
    if (at != std::string::npos && at > 0) return host.substr(0, at);
  }
  return std::nullopt;
}

bool IsUnsupportedSubresource(const std::string& name) {
  static const char* const kNames[] = {"acl",
                                       "tagging",
                                       "versioning",
                                       "policy",
                                       "cors",
                                       "lifecycle",
                                       "website",
                                       "logging",
                                       "notification",
                                       "replication",
                                       "encryption",
                                       "object-lock",
                                       "legal-hold",
                                       "retention",
                                       "torrent",
                                       "restore",
                                       "select",
                                       "versions",
                                       "attributes",
                                       "accelerate",
                                       "analytics",
                                       "inventory",
                                       "metrics",
                                       "ownershipControls",
                                       "publicAccessBlock",
                                       "requestPayment",
                                       "intelligent-tiering",
                                       "policyStatus",
                                       "versionId"};
  for (const char* known : kNames) {
    if (name == known) return true;
  }
  return false;
}

ObjectError NotImplemented(const std::string& what) {
  return ObjectError{"NotImplemented",
                     what +
                         " is not supported yet by gleaner's S3 (it serves buckets, objects, "
                         "listings, copies, batch deletes and multipart uploads)"};
}

ObjectError RefusalOf(const SigV4Error& error) {
  switch (error.failure) {
    case SigV4Failure::kMissing:
      return {"AccessDenied", "Access Denied: the request is not signed"};
    case SigV4Failure::kIncomplete:
      return {"AuthorizationHeaderMalformed", error.message};
    case SigV4Failure::kUnknownKey:
      return {"InvalidAccessKeyId",
              "The AWS Access Key Id you provided does not exist in our records."};
    case SigV4Failure::kMismatch:
      return {"SignatureDoesNotMatch", error.message};
    case SigV4Failure::kExpired:
      return {"RequestTimeTooSkewed", error.message};
  }
  return {"AccessDenied", error.message};
}

HttpResponse Dispatch(ObjectStore& store, const S3Call& call, const S3ApiOptions& options) {
  const std::string& method = call.request.method;
  for (const auto& [name, values] : call.query) {
    if (IsUnsupportedSubresource(name) &&
        !(name == "versionId" && call.Query("versionId") == "null")) {
      return S3ErrorResponse(call, NotImplemented("The ?" + name + " subresource"));
    }
  }
  if (call.bucket.empty()) {
    if (method == "GET") return ListBuckets(store, call);
    return S3ErrorResponse(call, {"MethodNotAllowed", method + " is not allowed on the service"});
  }
  if (call.key.empty()) {
    if (method == "PUT") return CreateBucket(store, call, options);
    if (method == "HEAD") return HeadBucket(store, call);
    if (method == "DELETE") return DeleteBucket(store, call);
    if (method == "GET" && call.Has("location")) return GetBucketLocation(store, call);
    if (method == "GET" && call.Has("uploads")) {
      return S3ErrorResponse(call, NotImplemented("ListMultipartUploads"));
    }
    if (method == "GET") return ListObjects(store, call);
    if (method == "POST" && call.Has("delete")) return DeleteObjects(store, call);
    return S3ErrorResponse(call, {"MethodNotAllowed", method + " is not allowed on a bucket"});
  }
  bool copy = call.request.headers.count("x-amz-copy-source") != 0;
  if (method == "PUT" && call.Has("uploadId")) {
    if (copy) return S3ErrorResponse(call, NotImplemented("UploadPartCopy"));
    return UploadPart(store, call);
  }
  if (method == "PUT")
    return copy ? CopyObject(store, call, options) : PutObject(store, call, options);
  if ((method == "GET" || method == "HEAD") && call.Has("uploadId")) {
    return S3ErrorResponse(call, NotImplemented("ListParts"));
  }
  if ((method == "GET" || method == "HEAD") && call.Has("partNumber")) {
    return S3ErrorResponse(call, NotImplemented("GetObject by partNumber"));
  }
  if (method == "GET" || method == "HEAD") return GetObject(store, call, options, method == "HEAD");
  if (method == "DELETE") {
    return call.Has("uploadId") ? AbortMultipartUpload(store, call) : DeleteObject(store, call);
  }
  if (method == "POST" && call.Has("uploads")) {
    return CreateMultipartUpload(store, call, options);
  }
  if (method == "POST" && call.Has("uploadId")) return CompleteMultipartUpload(store, call);
  return S3ErrorResponse(call, {"MethodNotAllowed", method + " is not allowed on an object"});
}

}  // namespace

struct S3Api::Workers {
  explicit Workers(int threads) : pool(static_cast<size_t>(std::max(threads, 1))) {}
  boost::asio::thread_pool pool;
};

S3Api::S3Api(ObjectStore& store, RequestAuthentication authentication, S3ApiOptions options)
    : store_(store),
      authentication_(std::move(authentication)),
      options_(std::move(options)),
      workers_(std::make_unique<Workers>(options_.threads)) {}

S3Api::~S3Api() { workers_->pool.join(); }

bool S3Api::IsS3Request(const HttpRequest& request) {
  auto authorization = request.headers.find("authorization");
  if (authorization != request.headers.end()) {
    return authorization->second.find(kS3Scope) != std::string::npos;
  }
  if (request.query.find("X-Amz-Credential=") != std::string::npos) {
    return request.query.find("%2Fs3%2Faws4_request") != std::string::npos ||
           request.query.find(kS3Scope) != std::string::npos;
  }
  return VirtualHostedBucket(HostName(request)).has_value();
}

void S3Api::Handle(HttpRequest&& request, std::string request_id, Responder respond) {
  auto call = std::make_shared<S3Call>();
  call->request = std::move(request);
  call->request_id = std::move(request_id);
  boost::asio::post(workers_->pool, [this, call, respond = std::move(respond)]() {
    HttpResponse response;
    Status contained = Contain([&] {
      call->now = authentication_.clock->NowMillis();
      std::optional<std::string> hosted = VirtualHostedBucket(HostName(call->request));
      std::string path = PercentDecode(call->request.path, /*plus_is_space=*/false);
      std::string_view rest = std::string_view(path).substr(path.starts_with('/') ? 1 : 0);
      if (hosted && !hosted->empty()) {
        call->bucket = *hosted;
        call->key = std::string(rest);
      } else {
        size_t slash = rest.find('/');
        call->bucket = std::string(rest.substr(0, slash));
        if (slash != std::string_view::npos) call->key = std::string(rest.substr(slash + 1));
      }
      call->query = ParseQuery(call->request.query);
      if (authentication_.enabled) {
        SigV4Request signed_request{call->request.method, call->request.path, call->request.query,
                                    &call->request.headers, call->request.body};
        auto verified = VerifySigV4(signed_request, authentication_.secrets, call->now);
        if (auto* error = std::get_if<SigV4Error>(&verified)) {
          response = S3ErrorResponse(*call, RefusalOf(*error));
          return;
        }
        auto& ok = std::get<SigV4Verified>(verified);
        if (!SessionTokenHolds(authentication_, ok.access_key_id, call->request)) {
          response = S3ErrorResponse(
              *call, {"InvalidToken", "The provided token is malformed or otherwise invalid."});
          return;
        }
        if (ok.decoded_body) call->request.body = std::move(*ok.decoded_body);
        call->trailers = std::move(ok.trailers);
      } else if (call->Header("x-amz-content-sha256").starts_with("STREAMING-")) {
        // Not verified (authentication is off), but still framed as aws-chunked: the content is
        // what the chunks carry, and the trailers (x-amz-checksum-*) are checked as usual.
        auto decoded = DecodeAwsChunked(call->request.body, /*signing_key=*/"", "", SigV4Scope{},
                                        "", &call->trailers);
        if (auto* error = std::get_if<SigV4Error>(&decoded)) {
          response = S3ErrorResponse(*call, RefusalOf(*error));
          return;
        }
        call->request.body = std::move(std::get<std::string>(decoded));
      }
      if (call->request.body_too_large) {
        response = S3ErrorResponse(
            *call, {"EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size: gleaner takes bodies "
                    "of up to " +
                        std::to_string(kS3MaxRequestBodyBytes >> 20) +
                        " MiB in one request; use a multipart upload (aws s3 cp and boto3's "
                        "upload_file do above 8 MiB)"});
        return;
      }
      if (call->key.size() > 1024) {
        response = S3ErrorResponse(*call, {"KeyTooLongError", "Your key is too long"});
        return;
      }
      response = Dispatch(store_, *call, options_);
    });
    if (!contained.ok()) {
      response = S3ErrorResponse(*call, {"InternalError", contained.message()});
    }
    response.headers.emplace_back("x-amz-request-id", call->request_id);
    respond(std::move(response));
  });
}

}  // namespace gleaner
