// S3's bucket operations: the buckets themselves, listings and batch deletes.
#include <charconv>

#include "api/s3_api.h"
#include "api/s3_wire.h"
#include "api/s3_xml.h"
#include "api/sigv4.h"
#include "common/markup_escape.h"
#include "objects/object_checksums.h"

namespace gleaner {
namespace {

constexpr std::string_view kNamespace = " xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"";

std::string Element(std::string_view name, std::string_view text) {
  return "<" + std::string(name) + ">" + XmlEscape(text) + "</" + std::string(name) + ">";
}

template <typename T>
HttpResponse ErrorOr(const S3Call& call, const ObjectResult<T>& result) {
  return S3ErrorResponse(call, std::get<ObjectError>(result));
}

std::string ContentsXml(const ObjectInfo& object, bool url_encoded) {
  return "<Contents>" + Element("Key", url_encoded ? UriEncode(object.key, true) : object.key) +
         Element("LastModified", S3Timestamp(object.last_modified)) +
         Element("ETag", "\"" + object.etag + "\"") + Element("Size", std::to_string(object.size)) +
         "<StorageClass>STANDARD</StorageClass></Contents>";
}

std::optional<int> MaxKeys(const S3Call& call) {
  std::string text = call.Query("max-keys");
  if (text.empty()) return 1000;
  int value = 0;
  auto parsed = std::from_chars(text.data(), text.data() + text.size(), value);
  if (parsed.ec != std::errc() || parsed.ptr != text.data() + text.size() || value < 0) {
    return std::nullopt;
  }
  return std::min(value, 1000);
}

}  // namespace

HttpResponse ListBuckets(ObjectStore& store, const S3Call& call) {
  (void)call;
  std::string body = "<ListAllMyBucketsResult" + std::string(kNamespace) +
                     "><Owner><ID>gleaner</ID><DisplayName>gleaner</DisplayName></Owner><Buckets>";
  for (const BucketInfo& bucket : store.ListBuckets()) {
    body += "<Bucket>" + Element("Name", bucket.name) +
            Element("CreationDate", S3Timestamp(bucket.created_at)) + "</Bucket>";
  }
  body += "</Buckets></ListAllMyBucketsResult>";
  return S3XmlResponse(std::move(body));
}

HttpResponse CreateBucket(ObjectStore& store, const S3Call& call, const S3ApiOptions& options) {
  std::string region = options.region;
  if (!call.request.body.empty()) {
    Result<XmlElement> configuration = ParseXml(call.request.body);
    if (!configuration.ok()) {
      return S3ErrorResponse(call, {"MalformedXML", configuration.status().message()});
    }
    if (const XmlElement* location = configuration->Child("LocationConstraint")) {
      if (!location->text.empty()) region = location->text;
    }
  }
  auto created = store.CreateBucket(call.bucket, region);
  if (std::holds_alternative<ObjectError>(created)) return ErrorOr(call, created);
  HttpResponse response;
  response.content_type.clear();
  response.headers.emplace_back("Location", "/" + call.bucket);
  return response;
}

HttpResponse HeadBucket(ObjectStore& store, const S3Call& call) {
  auto bucket = store.HeadBucket(call.bucket);
  if (std::holds_alternative<ObjectError>(bucket)) return ErrorOr(call, bucket);
  HttpResponse response;
  response.content_type = "application/xml";
  response.headers.emplace_back("x-amz-bucket-region", std::get<BucketInfo>(bucket).region);
  return response;
}

HttpResponse DeleteBucket(ObjectStore& store, const S3Call& call) {
  if (auto error = store.DeleteBucket(call.bucket)) return S3ErrorResponse(call, *error);
  HttpResponse response;
  response.status = 204;
  response.content_type.clear();
  return response;
}

HttpResponse GetBucketLocation(ObjectStore& store, const S3Call& call) {
  auto bucket = store.HeadBucket(call.bucket);
  if (std::holds_alternative<ObjectError>(bucket)) return ErrorOr(call, bucket);
  const std::string& region = std::get<BucketInfo>(bucket).region;
  // us-east-1 is the empty constraint, as S3 answers it.
  return S3XmlResponse("<LocationConstraint" + std::string(kNamespace) + ">" +
                       XmlEscape(region == "us-east-1" ? "" : region) + "</LocationConstraint>");
}

HttpResponse ListObjects(ObjectStore& store, const S3Call& call) {
  bool v2 = call.Query("list-type") == "2";
  std::string encoding = call.Query("encoding-type");
  if (!encoding.empty() && encoding != "url") {
    return S3ErrorResponse(call,
                           {"InvalidArgument", "Invalid Encoding Method specified in Request"});
  }
  bool url = encoding == "url";
  std::optional<int> max_keys = MaxKeys(call);
  if (!max_keys) {
    return S3ErrorResponse(call, {"InvalidArgument",
                                  "Provided max-keys not an integer or within "
                                  "integer range"});
  }
  ListObjectsRequest request;
  request.prefix = call.Query("prefix");
  request.delimiter = call.Query("delimiter");
  request.max_keys = *max_keys;
  std::string token = call.Query("continuation-token");
  if (v2 && call.Has("continuation-token")) {
    std::optional<std::string> decoded = Base64Decode(token);
    if (!decoded || decoded->empty() || ((*decoded)[0] != 'k' && (*decoded)[0] != 'p')) {
      return S3ErrorResponse(call,
                             {"InvalidArgument", "The continuation token provided is incorrect"});
    }
    request.start_after = decoded->substr(1);
    request.start_after_is_prefix = (*decoded)[0] == 'p';
  } else {
    request.start_after = call.Query(v2 ? "start-after" : "marker");
  }
  auto listed = store.ListObjects(call.bucket, request);
  if (std::holds_alternative<ObjectError>(listed)) return ErrorOr(call, listed);
  const ObjectListing& listing = std::get<ObjectListing>(listed);
  auto encode = [url](const std::string& text) { return url ? UriEncode(text, true) : text; };
  std::string body = "<ListBucketResult" + std::string(kNamespace) + ">" +
                     Element("Name", call.bucket) + Element("Prefix", encode(request.prefix));
  if (v2) {
    body += Element("KeyCount",
                    std::to_string(listing.objects.size() + listing.common_prefixes.size()));
    if (call.Has("continuation-token")) body += Element("ContinuationToken", token);
    if (call.Has("start-after")) body += Element("StartAfter", encode(call.Query("start-after")));
    if (listing.truncated) {
      std::string next =
          (listing.next_start_after_is_prefix ? "p" : "k") + listing.next_start_after;
      body += Element("NextContinuationToken", Base64Encode(next));
    }
  } else {
    body += Element("Marker", encode(request.start_after));
    if (listing.truncated && !request.delimiter.empty()) {
      body += Element("NextMarker", encode(listing.next_start_after));
    }
  }
  body += Element("MaxKeys", std::to_string(request.max_keys));
  if (!request.delimiter.empty()) body += Element("Delimiter", encode(request.delimiter));
  if (url) body += Element("EncodingType", "url");
  body += Element("IsTruncated", listing.truncated ? "true" : "false");
  for (const ObjectInfo& object : listing.objects) body += ContentsXml(object, url);
  for (const std::string& prefix : listing.common_prefixes) {
    body += "<CommonPrefixes>" + Element("Prefix", encode(prefix)) + "</CommonPrefixes>";
  }
  body += "</ListBucketResult>";
  return S3XmlResponse(std::move(body));
}

HttpResponse DeleteObjects(ObjectStore& store, const S3Call& call) {
  if (auto error = CheckPayload(call, call.request.body, nullptr)) {
    return S3ErrorResponse(call, *error);
  }
  Result<XmlElement> document = ParseXml(call.request.body);
  if (!document.ok()) return S3ErrorResponse(call, {"MalformedXML", document.status().message()});
  if (document->name != "Delete") {
    return S3ErrorResponse(
        call, {"MalformedXML", "The root element must be <Delete>, not <" + document->name + ">"});
  }
  std::vector<const XmlElement*> objects = document->ChildrenNamed("Object");
  if (objects.empty() || objects.size() > 1000) {
    return S3ErrorResponse(
        call, {"MalformedXML", "A DeleteObjects request names 1 to 1000 objects, not " +
                                   std::to_string(objects.size())});
  }
  const XmlElement* quiet = document->Child("Quiet");
  bool is_quiet = quiet != nullptr && quiet->text == "true";
  if (std::holds_alternative<ObjectError>(store.HeadBucket(call.bucket))) {
    return ErrorOr(call, store.HeadBucket(call.bucket));
  }
  std::string body = "<DeleteResult" + std::string(kNamespace) + ">";
  for (const XmlElement* object : objects) {
    const XmlElement* key = object->Child("Key");
    if (key == nullptr || key->text.empty()) {
      return S3ErrorResponse(call, {"MalformedXML", "Every <Object> needs a <Key>"});
    }
    if (auto error = store.DeleteObject(call.bucket, key->text)) {
      body += "<Error>" + Element("Key", key->text) + Element("Code", error->code) +
              Element("Message", error->message) + "</Error>";
    } else if (!is_quiet) {
      body += "<Deleted>" + Element("Key", key->text) + "</Deleted>";
    }
  }
  body += "</DeleteResult>";
  return S3XmlResponse(std::move(body));
}

}  // namespace gleaner
