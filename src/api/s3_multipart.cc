// S3's multipart uploads: CreateMultipartUpload, UploadPart, CompleteMultipartUpload, Abort.
#include <charconv>

#include "api/s3_api.h"
#include "api/s3_wire.h"
#include "api/s3_xml.h"
#include "common/markup_escape.h"

namespace gleaner {
namespace {

std::string Unquoted(std::string_view etag) {
  while (!etag.empty() && (etag.front() == '"' || etag.front() == ' ')) etag.remove_prefix(1);
  while (!etag.empty() && (etag.back() == '"' || etag.back() == ' ')) etag.remove_suffix(1);
  return std::string(etag);
}

std::optional<int> PartNumber(std::string_view text) {
  int value = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || parsed.ec != std::errc() || parsed.ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

HttpResponse CreateMultipartUpload(ObjectStore& store, const S3Call& call,
                                   const S3ApiOptions& options) {
  ObjectInfo info = ObjectInfoFromRequest(call);
  auto created = store.CreateMultipartUpload(call.bucket, info);
  auto* error = std::get_if<ObjectError>(&created);
  if (error != nullptr && error->code == "NoSuchBucket" && options.auto_create_buckets) {
    if (auto refused = AutoCreateBucket(store, call, options))
      return S3ErrorResponse(call, *refused);
    created = store.CreateMultipartUpload(call.bucket, std::move(info));
    error = std::get_if<ObjectError>(&created);
  }
  if (error != nullptr) return S3ErrorResponse(call, *error);
  return S3XmlResponse(
      "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>" +
      XmlEscape(call.bucket) + "</Bucket><Key>" + XmlEscape(call.key) + "</Key><UploadId>" +
      XmlEscape(std::get<std::string>(created)) + "</UploadId></InitiateMultipartUploadResult>");
}

HttpResponse UploadPart(ObjectStore& store, const S3Call& call) {
  std::optional<int> number = PartNumber(call.Query("partNumber"));
  if (!number) {
    return S3ErrorResponse(call, {"InvalidArgument",
                                  "Part number must be an integer between 1 "
                                  "and 10000, inclusive"});
  }
  std::map<std::string, std::string> checksums;
  if (auto error = CheckPayload(call, call.request.body, &checksums)) {
    return S3ErrorResponse(call, *error);
  }
  auto etag =
      store.UploadPart(call.bucket, call.key, call.Query("uploadId"), *number, call.request.body);
  if (auto* error = std::get_if<ObjectError>(&etag)) return S3ErrorResponse(call, *error);
  HttpResponse response;
  response.content_type.clear();
  response.headers.emplace_back("ETag", "\"" + std::get<std::string>(etag) + "\"");
  AddChecksumHeaders(checksums, response);
  return response;
}

HttpResponse CompleteMultipartUpload(ObjectStore& store, const S3Call& call) {
  Result<XmlElement> document = ParseXml(call.request.body);
  if (!document.ok()) return S3ErrorResponse(call, {"MalformedXML", document.status().message()});
  std::vector<CompletedPart> parts;
  for (const XmlElement* part : document->ChildrenNamed("Part")) {
    const XmlElement* number = part->Child("PartNumber");
    const XmlElement* etag = part->Child("ETag");
    std::optional<int> parsed = number ? PartNumber(number->text) : std::nullopt;
    if (!parsed || etag == nullptr) {
      return S3ErrorResponse(call, {"MalformedXML",
                                    "Every <Part> needs a <PartNumber> and an "
                                    "<ETag>"});
    }
    parts.push_back(CompletedPart{*parsed, Unquoted(etag->text)});
  }
  auto completed =
      store.CompleteMultipartUpload(call.bucket, call.key, call.Query("uploadId"), parts);
  if (auto* error = std::get_if<ObjectError>(&completed)) return S3ErrorResponse(call, *error);
  const ObjectInfo& object = std::get<ObjectInfo>(completed);
  return S3XmlResponse(
      "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Location>/" +
      XmlEscape(call.bucket) + "/" + XmlEscape(call.key) + "</Location><Bucket>" +
      XmlEscape(call.bucket) + "</Bucket><Key>" + XmlEscape(call.key) + "</Key><ETag>&quot;" +
      object.etag + "&quot;</ETag></CompleteMultipartUploadResult>");
}

HttpResponse AbortMultipartUpload(ObjectStore& store, const S3Call& call) {
  if (auto error = store.AbortMultipartUpload(call.bucket, call.key, call.Query("uploadId"))) {
    return S3ErrorResponse(call, *error);
  }
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

}  // namespace gleaner
