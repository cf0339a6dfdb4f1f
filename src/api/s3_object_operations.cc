// S3's object operations: PutObject, CopyObject, GetObject/HeadObject, DeleteObject.
#include <charconv>

#include "api/s3_api.h"
#include "api/s3_wire.h"
#include "common/markup_escape.h"
#include "objects/object_checksums.h"

namespace gleaner {
namespace {

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

std::optional<uint64_t> ParseNumber(std::string_view text) {
  uint64_t value = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

// "bytes=a-b", "bytes=a-", "bytes=-n" against an object of `size` bytes. nullopt: no (usable)
// range, the whole object is sent, as HTTP says of a range it cannot parse; an error: a range
// that starts past the end.
std::variant<std::optional<ByteRange>, ObjectError> ResolveRange(std::string_view header,
                                                                 uint64_t size) {
  if (!header.starts_with("bytes=")) return std::optional<ByteRange>();
  header.remove_prefix(6);
  size_t dash = header.find('-');
  if (dash == std::string_view::npos || header.find(',') != std::string_view::npos) {
    return std::optional<ByteRange>();
  }
  std::string_view first_text = header.substr(0, dash);
  std::string_view last_text = header.substr(dash + 1);
  ObjectError unsatisfiable{"InvalidRange", "The requested range is not satisfiable"};
  if (first_text.empty()) {  // the last n bytes
    std::optional<uint64_t> suffix = ParseNumber(last_text);
    if (!suffix) return std::optional<ByteRange>();
    if (*suffix == 0 || size == 0) return unsatisfiable;
    uint64_t length = std::min(*suffix, size);
    return std::optional<ByteRange>(ByteRange{size - length, length});
  }
  std::optional<uint64_t> first = ParseNumber(first_text);
  std::optional<uint64_t> last =
      last_text.empty() ? std::optional<uint64_t>(UINT64_MAX) : ParseNumber(last_text);
  if (!first || !last || *last < *first) return std::optional<ByteRange>();
  if (*first >= size) return unsatisfiable;
  uint64_t end = std::min(*last, size - 1);
  return std::optional<ByteRange>(ByteRange{*first, end - *first + 1});
}

bool EtagMatches(const std::string& condition, const std::string& etag) {
  size_t start = 0;
  while (start <= condition.size()) {
    size_t comma = condition.find(',', start);
    std::string_view item = std::string_view(condition).substr(
        start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.starts_with("W/")) item.remove_prefix(2);
    if (item.size() >= 2 && item.front() == '"' && item.back() == '"') {
      item = item.substr(1, item.size() - 2);
    }
    if (item == "*" || item == etag) return true;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return false;
}

// 304 or 412 when the request's conditions do not hold for `info` (RFC 7232's order).
std::optional<ObjectError> CheckConditions(const S3Call& call, const ObjectInfo& info) {
  std::string if_match = call.Header("if-match");
  std::string if_none_match = call.Header("if-none-match");
  EpochMillis modified_seconds = info.last_modified / 1000;
  if (!if_match.empty()) {
    if (!EtagMatches(if_match, info.etag)) {
      return ObjectError{"PreconditionFailed",
                         "At least one of the pre-conditions you specified "
                         "did not hold: If-Match"};
    }
  } else if (auto since = ParseHttpDate(call.Header("if-unmodified-since"))) {
    if (modified_seconds > *since / 1000) {
      return ObjectError{"PreconditionFailed",
                         "At least one of the pre-conditions you specified "
                         "did not hold: If-Unmodified-Since"};
    }
  }
  if (!if_none_match.empty()) {
    if (EtagMatches(if_none_match, info.etag)) return ObjectError{"NotModified", "Not Modified"};
  } else if (auto since = ParseHttpDate(call.Header("if-modified-since"))) {
    if (modified_seconds <= *since / 1000) return ObjectError{"NotModified", "Not Modified"};
  }
  return std::nullopt;
}

// `whole`: the answer carries the whole object, so its checksums apply.
void AddObjectHeaders(const S3Call& call, const ObjectInfo& info, bool whole,
                      HttpResponse& response) {
  response.headers.emplace_back("ETag", "\"" + info.etag + "\"");
  response.headers.emplace_back("Last-Modified", HttpDate(info.last_modified));
  response.headers.emplace_back("Accept-Ranges", "bytes");
  for (const auto& [name, value] : info.headers) response.headers.emplace_back(name, value);
  for (const auto& [name, value] : info.user_metadata) {
    response.headers.emplace_back("x-amz-meta-" + name, value);
  }
  if (info.parts > 0) {
    response.headers.emplace_back("x-amz-mp-parts-count", std::to_string(info.parts));
  }
  if (whole && call.Header("x-amz-checksum-mode") == "ENABLED") {
    AddChecksumHeaders(info.checksums, response);
  }
  // Presigned URLs may override what the answer says the content is.
  for (const char* name : {"content-type", "content-disposition", "cache-control",
                           "content-encoding", "content-language", "expires"}) {
    std::string value = call.Query(("response-" + std::string(name)).c_str());
    if (value.empty()) continue;
    if (std::string_view(name) == "content-type") {
      response.content_type = value;
    } else {
      response.headers.emplace_back(name, value);
    }
  }
}

ObjectResult<ObjectInfo> StoreWithAutoCreate(ObjectStore& store, const S3Call& call,
                                             const S3ApiOptions& options, ObjectInfo info,
                                             std::string_view data) {
  auto stored = store.PutObject(call.bucket, info, data);
  auto* error = std::get_if<ObjectError>(&stored);
  if (error == nullptr || error->code != "NoSuchBucket" || !options.auto_create_buckets) {
    return stored;
  }
  if (auto refused = AutoCreateBucket(store, call, options)) return *refused;
  return store.PutObject(call.bucket, std::move(info), data);
}

// Answers are held in memory whole: past the limit, the way around instead of a huge allocation.
ObjectError TooLargeInMemory(const std::string& operation, uint64_t size,
                             const S3ApiOptions& options) {
  return ObjectError{"NotImplemented",
                     operation + " of " + std::to_string(size) +
                         " bytes at once is not supported "
                         "yet by gleaner's S3 (at most " +
                         std::to_string(options.max_object_bytes_in_memory) +
                         "): ask for byte ranges (Range: bytes=...), as aws s3 cp and boto3's "
                         "download_file do for large objects"};
}

}  // namespace

HttpResponse PutObject(ObjectStore& store, const S3Call& call, const S3ApiOptions& options) {
  ObjectInfo info = ObjectInfoFromRequest(call);
  if (auto error = CheckPayload(call, call.request.body, &info.checksums)) {
    return S3ErrorResponse(call, *error);
  }
  auto stored = StoreWithAutoCreate(store, call, options, std::move(info), call.request.body);
  if (auto* error = std::get_if<ObjectError>(&stored)) return S3ErrorResponse(call, *error);
  const ObjectInfo& object = std::get<ObjectInfo>(stored);
  HttpResponse response;
  response.content_type.clear();
  response.headers.emplace_back("ETag", "\"" + object.etag + "\"");
  AddChecksumHeaders(object.checksums, response);
  return response;
}

HttpResponse CopyObject(ObjectStore& store, const S3Call& call, const S3ApiOptions& options) {
  std::string source = PercentDecode(call.Header("x-amz-copy-source"), false);
  size_t question = source.find('?');
  if (question != std::string::npos) {
    if (source.substr(question) != "?versionId=null") {
      return S3ErrorResponse(call, {"NotImplemented",
                                    "Copying a version of an object is not "
                                    "supported yet by gleaner's S3"});
    }
    source.resize(question);
  }
  if (source.starts_with('/')) source.erase(0, 1);
  size_t slash = source.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == source.size()) {
    return S3ErrorResponse(call, {"InvalidArgument",
                                  "Copy Source must mention the source bucket "
                                  "and key: sourcebucket/sourcekey"});
  }
  std::string source_bucket = source.substr(0, slash);
  std::string source_key = source.substr(slash + 1);
  std::string directive = call.Header("x-amz-metadata-directive");
  bool replace = directive == "REPLACE";
  if (!directive.empty() && directive != "COPY" && !replace) {
    return S3ErrorResponse(call, {"InvalidArgument", "Unknown metadata directive: " + directive});
  }
  if (source_bucket == call.bucket && source_key == call.key && !replace) {
    return S3ErrorResponse(
        call, {"InvalidRequest",
               "This copy request is illegal because it is trying to copy an object to itself "
               "without changing the object's metadata, storage class, website redirect "
               "location or encryption attributes."});
  }
  auto opened = store.OpenObject(source_bucket, source_key);
  if (auto* error = std::get_if<ObjectError>(&opened)) return S3ErrorResponse(call, *error);
  const auto& object = std::get<std::shared_ptr<OpenedObject>>(opened);
  if (object->info().size > options.max_object_bytes_in_memory) {
    return S3ErrorResponse(call, TooLargeInMemory("CopyObject", object->info().size, options));
  }
  Result<std::string> bytes = object->Read(0, object->info().size);
  if (!bytes.ok()) return S3ErrorResponse(call, {"InternalError", bytes.status().message()});
  ObjectInfo info = replace ? ObjectInfoFromRequest(call) : object->info();
  info.key = call.key;
  info.checksums =
      object->info().parts > 0 ? std::map<std::string, std::string>{} : object->info().checksums;
  auto stored = StoreWithAutoCreate(store, call, options, std::move(info), *bytes);
  if (auto* error = std::get_if<ObjectError>(&stored)) return S3ErrorResponse(call, *error);
  const ObjectInfo& copy = std::get<ObjectInfo>(stored);
  return S3XmlResponse("<CopyObjectResult><LastModified>" + S3Timestamp(copy.last_modified) +
                       "</LastModified><ETag>&quot;" + copy.etag +
                       "&quot;</ETag></CopyObjectResult>");
}

HttpResponse GetObject(ObjectStore& store, const S3Call& call, const S3ApiOptions& options,
                       bool head) {
  auto opened = store.OpenObject(call.bucket, call.key);
  if (auto* error = std::get_if<ObjectError>(&opened)) return S3ErrorResponse(call, *error);
  const auto& object = std::get<std::shared_ptr<OpenedObject>>(opened);
  const ObjectInfo& info = object->info();
  if (auto error = CheckConditions(call, info)) {
    HttpResponse refused = S3ErrorResponse(call, *error);
    if (refused.status == 304) {
      refused.headers.emplace_back("ETag", "\"" + info.etag + "\"");
      refused.headers.emplace_back("Last-Modified", HttpDate(info.last_modified));
    }
    return refused;
  }
  auto range = ResolveRange(call.Header("range"), info.size);
  if (auto* error = std::get_if<ObjectError>(&range)) {
    HttpResponse refused = S3ErrorResponse(call, *error);
    refused.headers.emplace_back("Content-Range", "bytes */" + std::to_string(info.size));
    return refused;
  }
  const std::optional<ByteRange>& part = std::get<std::optional<ByteRange>>(range);
  ByteRange selected = part.value_or(ByteRange{0, info.size});
  HttpResponse response;
  response.content_type = info.content_type;
  if (part) {
    response.status = 206;
    response.headers.emplace_back("Content-Range",
                                  "bytes " + std::to_string(selected.first) + "-" +
                                      std::to_string(selected.first + selected.length - 1) + "/" +
                                      std::to_string(info.size));
  }
  AddObjectHeaders(call, info, /*whole=*/!part, response);
  if (head) {
    response.head_content_length = selected.length;
    return response;
  }
  if (selected.length > options.max_object_bytes_in_memory) {
    return S3ErrorResponse(call, TooLargeInMemory("GetObject", selected.length, options));
  }
  Result<std::string> bytes = object->Read(selected.first, selected.length);
  if (!bytes.ok()) return S3ErrorResponse(call, {"InternalError", bytes.status().message()});
  response.body = std::move(*bytes);
  return response;
}

HttpResponse DeleteObject(ObjectStore& store, const S3Call& call) {
  if (auto error = store.DeleteObject(call.bucket, call.key)) return S3ErrorResponse(call, *error);
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

}  // namespace gleaner
