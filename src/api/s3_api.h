#pragma once

#include <memory>
#include <string>

#include "api/http_server.h"
#include "api/request_authentication.h"

namespace gleaner {

class ObjectStore;

// The largest body one S3 request may carry (PutObject, UploadPart): bodies are held in memory.
// AWS allows 5 GiB; clients split anything larger than 8 MiB into parts anyway.
inline constexpr size_t kS3MaxRequestBodyBytes = size_t{256} << 20;

struct S3ApiOptions {
  // PutObject, CopyObject and CreateMultipartUpload to a bucket that does not exist create it
  // (`gleaner up --s3-auto-create-buckets`); otherwise NoSuchBucket, as on AWS.
  bool auto_create_buckets = false;
  std::string region = "us-east-1";
  int threads = 2;  // object reads and writes (and their fsyncs) run here, off the HTTP threads
  // The most one answer (GetObject without a range) or one CopyObject holds in memory; beyond
  // it, NotImplemented naming the way around (ranged GETs, as aws s3 cp and boto3 make them).
  size_t max_object_bytes_in_memory = kS3MaxRequestBodyBytes;
};

// Amazon S3's REST API (the subset batch jobs use for checkpoints and data) on gleaner's endpoint,
// over an ObjectStore: buckets, objects (ranges, conditions, Content-MD5, x-amz-checksum-*,
// aws-chunked uploads), ListObjects(V2), CopyObject, DeleteObjects, multipart uploads; path-style
// and virtual-hosted-style addressing; S3's XML errors. Requests are verified here (SigV4 as S3
// signs), so a refusal is S3's own XML.
class S3Api {
 public:
  S3Api(ObjectStore& store, RequestAuthentication authentication, S3ApiOptions options);
  ~S3Api();
  S3Api(const S3Api&) = delete;
  S3Api& operator=(const S3Api&) = delete;

  // Whether a request is S3's: signed for the service "s3", or sent to an S3 host name
  // (s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com, ...).
  static bool IsS3Request(const HttpRequest& request);

  // Answers on a thread of its own pool; `respond` is called exactly once.
  void Handle(HttpRequest&& request, std::string request_id, Responder respond);

 private:
  struct Workers;
  ObjectStore& store_;
  const RequestAuthentication authentication_;
  S3ApiOptions options_;
  std::unique_ptr<Workers> workers_;
};

}  // namespace gleaner
