#include "api/s3_wire.h"

#include <ctime>

#include "api/s3_api.h"
#include "common/ascii.h"
#include "common/markup_escape.h"
#include "objects/object_checksums.h"

namespace gleaner {
namespace {

constexpr std::string_view kXmlDeclaration = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

std::tm UtcOf(EpochMillis at) {
  std::time_t seconds = static_cast<std::time_t>(at / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return utc;
}

}  // namespace

std::string S3Call::Query(const char* name) const {
  auto it = query.find(name);
  return it == query.end() || it->second.empty() ? "" : it->second.front();
}

std::string S3Call::Header(const char* name) const {
  auto it = request.headers.find(name);
  if (it != request.headers.end()) return it->second;
  auto trailer = trailers.find(name);
  return trailer == trailers.end() ? "" : trailer->second;
}

int S3ErrorStatus(std::string_view code) {
  struct Entry {
    std::string_view code;
    int status;
  };
  static constexpr Entry kStatuses[] = {
      {"NoSuchBucket", 404},
      {"NoSuchKey", 404},
      {"NoSuchUpload", 404},
      {"BucketNotEmpty", 409},
      {"BucketAlreadyOwnedByYou", 409},
      {"BucketAlreadyExists", 409},
      {"InvalidRange", 416},
      {"PreconditionFailed", 412},
      {"NotModified", 304},
      {"AccessDenied", 403},
      {"SignatureDoesNotMatch", 403},
      {"InvalidAccessKeyId", 403},
      {"RequestTimeTooSkewed", 403},
      {"InvalidToken", 400},
      {"MethodNotAllowed", 405},
      {"MissingContentLength", 411},
      {"NotImplemented", 501},
      {"InternalError", 500},
  };
  for (const Entry& entry : kStatuses) {
    if (entry.code == code) return entry.status;
  }
  return 400;  // InvalidArgument, InvalidBucketName, MalformedXML, BadDigest, EntityTooSmall, ...
}

HttpResponse S3ErrorResponse(const S3Call& call, const ObjectError& error) {
  HttpResponse response;
  response.status = S3ErrorStatus(error.code);
  response.content_type = "application/xml";
  if (response.status == 304) return response;  // no body
  std::string body(kXmlDeclaration);
  body += "<Error><Code>" + XmlEscape(error.code) + "</Code><Message>" + XmlEscape(error.message) +
          "</Message>";
  if (!call.bucket.empty()) body += "<BucketName>" + XmlEscape(call.bucket) + "</BucketName>";
  if (!call.key.empty()) body += "<Key>" + XmlEscape(call.key) + "</Key>";
  body +=
      "<RequestId>" + XmlEscape(call.request_id) + "</RequestId><HostId>gleaner</HostId></Error>";
  response.body = std::move(body);
  return response;
}

HttpResponse S3XmlResponse(std::string body) {
  HttpResponse response;
  response.content_type = "application/xml";
  response.body = std::string(kXmlDeclaration) + body;
  return response;
}

std::string S3Timestamp(EpochMillis at) {
  std::tm utc = UtcOf(at);
  char text[96];
  snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
           utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
           static_cast<int>(at % 1000));
  return text;
}

std::string HttpDate(EpochMillis at) {
  std::tm utc = UtcOf(at);
  char text[40];
  strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

std::optional<EpochMillis> ParseHttpDate(std::string_view text) {
  std::string copy(text);
  for (const char* format : {"%a, %d %b %Y %H:%M:%S GMT", "%A, %d-%b-%y %H:%M:%S GMT",
                             "%a %b %d %H:%M:%S %Y", "%Y-%m-%dT%H:%M:%SZ"}) {
    std::tm utc{};
    const char* end = strptime(copy.c_str(), format, &utc);
    if (end != nullptr && *end == '\0') return static_cast<EpochMillis>(timegm(&utc)) * 1000;
  }
  return std::nullopt;
}

std::optional<ObjectError> CheckPayload(const S3Call& call, std::string_view body,
                                        std::map<std::string, std::string>* checksums) {
  std::string content_md5 = call.Header("content-md5");
  if (!content_md5.empty()) {
    std::optional<std::string> raw = Base64Decode(content_md5);
    if (!raw || raw->size() != 16) {
      return ObjectError{"InvalidDigest", "The Content-MD5 you specified was invalid."};
    }
    Md5 md5;
    md5.Update(body);
    if (md5.FinishRaw() != *raw) {
      return ObjectError{"BadDigest",
                         "The Content-MD5 you specified did not match what we received."};
    }
  }
  for (ChecksumAlgorithm algorithm :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    std::string given = call.Header(std::string(ChecksumHeaderName(algorithm)).c_str());
    if (given.empty()) continue;
    std::string name(ChecksumName(algorithm));
    if (ChecksumBase64(algorithm, body) != given) {
      return ObjectError{"BadDigest",
                         "The " + name + " you specified did not match the calculated checksum."};
    }
    if (checksums != nullptr) (*checksums)[name] = given;
  }
  return std::nullopt;
}

void AddChecksumHeaders(const std::map<std::string, std::string>& checksums,
                        HttpResponse& response) {
  for (const auto& [name, value] : checksums) {
    response.headers.emplace_back("x-amz-checksum-" + AsciiLowercase(name), value);
  }
}

ObjectInfo ObjectInfoFromRequest(const S3Call& call) {
  ObjectInfo info;
  info.key = call.key;
  info.content_type = call.Header("content-type");
  if (info.content_type.empty()) info.content_type = "binary/octet-stream";
  for (const char* name : {"cache-control", "content-disposition", "content-encoding",
                           "content-language", "expires"}) {
    std::string value = call.Header(name);
    // aws-chunked is how the body travelled, not what the object is.
    if (std::string_view(name) == "content-encoding") {
      if (value == "aws-chunked") value.clear();
      if (value.starts_with("aws-chunked,")) value = value.substr(12);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    }
    if (!value.empty()) info.headers[name] = value;
  }
  for (const auto& [name, value] : call.request.headers) {
    if (name.starts_with("x-amz-meta-")) info.user_metadata[name.substr(11)] = value;
  }
  return info;
}

std::optional<ObjectError> AutoCreateBucket(ObjectStore& store, const S3Call& call,
                                            const S3ApiOptions& options) {
  if (!options.auto_create_buckets) return std::nullopt;
  auto created = store.CreateBucket(call.bucket, options.region);
  auto* error = std::get_if<ObjectError>(&created);
  if (error == nullptr || error->code == "BucketAlreadyOwnedByYou") return std::nullopt;
  return *error;
}

}  // namespace gleaner
