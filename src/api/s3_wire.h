#pragma once

// What S3's operations share: the request as S3 sees it (bucket, key, subresources) and the
// shapes of S3's answers (XML, errors, dates). Only s3_*.cc include this.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_server.h"
#include "common/clock.h"
#include "objects/object_store.h"

namespace gleaner {

struct S3ApiOptions;

struct S3Call {
  HttpRequest request;
  std::string request_id;
  std::string bucket;  // empty: the service itself (ListBuckets)
  std::string key;     // empty: the bucket
  std::map<std::string, std::vector<std::string>> query;
  std::map<std::string, std::string> trailers;  // aws-chunked trailing headers, lower case
  EpochMillis now = 0;

  bool Has(const char* name) const { return query.count(name) != 0; }
  // The query parameter's first value, "" when absent.
  std::string Query(const char* name) const;
  // The request header (name in lower case), or from the aws-chunked trailer; "" when absent.
  std::string Header(const char* name) const;
};

// S3's error document with the HTTP status S3 gives the code.
HttpResponse S3ErrorResponse(const S3Call& call, const ObjectError& error);
int S3ErrorStatus(std::string_view code);
HttpResponse S3XmlResponse(std::string body);  // 200, with the XML declaration prepended
// "2009-10-12T17:50:30.000Z" (XML), "Mon, 12 Oct 2009 17:50:30 GMT" (headers).
std::string S3Timestamp(EpochMillis at);
std::string HttpDate(EpochMillis at);
std::optional<EpochMillis> ParseHttpDate(std::string_view text);

// ---- operations (s3_bucket_operations.cc, s3_object_operations.cc, s3_multipart.cc) ----
HttpResponse ListBuckets(ObjectStore& store, const S3Call& call);
HttpResponse CreateBucket(ObjectStore& store, const S3Call& call, const S3ApiOptions& options);
HttpResponse HeadBucket(ObjectStore& store, const S3Call& call);
HttpResponse DeleteBucket(ObjectStore& store, const S3Call& call);
HttpResponse GetBucketLocation(ObjectStore& store, const S3Call& call);
HttpResponse ListObjects(ObjectStore& store, const S3Call& call);  // V1 and V2 (list-type=2)
HttpResponse DeleteObjects(ObjectStore& store, const S3Call& call);

HttpResponse PutObject(ObjectStore& store, const S3Call& call, const S3ApiOptions& options);
HttpResponse CopyObject(ObjectStore& store, const S3Call& call, const S3ApiOptions& options);
HttpResponse GetObject(ObjectStore& store, const S3Call& call, const S3ApiOptions& options,
                       bool head);
HttpResponse DeleteObject(ObjectStore& store, const S3Call& call);

HttpResponse CreateMultipartUpload(ObjectStore& store, const S3Call& call,
                                   const S3ApiOptions& options);
HttpResponse UploadPart(ObjectStore& store, const S3Call& call);
HttpResponse CompleteMultipartUpload(ObjectStore& store, const S3Call& call);
HttpResponse AbortMultipartUpload(ObjectStore& store, const S3Call& call);

// The payload checks S3 makes of a body: Content-MD5 and x-amz-checksum-* (header or trailer).
// Nothing when they hold; else BadDigest / InvalidDigest / InvalidRequest. The checksums given
// go to `checksums` ("CRC32" → base64).
std::optional<ObjectError> CheckPayload(const S3Call& call, std::string_view body,
                                        std::map<std::string, std::string>* checksums);
// x-amz-checksum-<algorithm>: <base64> for each of `checksums` ("CRC32" → base64).
void AddChecksumHeaders(const std::map<std::string, std::string>& checksums,
                        HttpResponse& response);
// The object's metadata from a request: Content-Type, Cache-Control, Content-Disposition,
// Content-Encoding, Content-Language, Expires, x-amz-meta-*.
ObjectInfo ObjectInfoFromRequest(const S3Call& call);
// Creates the bucket when the options allow it and it is missing; otherwise nothing happens.
// Why it could not be created (InvalidBucketName, say), if it could not.
std::optional<ObjectError> AutoCreateBucket(ObjectStore& store, const S3Call& call,
                                            const S3ApiOptions& options);

}  // namespace gleaner
