// DescribeJobs, ListJobs, CancelJob, TerminateJob, the tag operations and request size limits.

#include "api/requests/batch_request_parser.h"
#include "api/requests/field_rules.h"
#include "api/requests/json_fields.h"
#include "model/arn.h"
#include "model/job_status.h"

namespace gleaner {
namespace {

using fields::ObjectFields;
using nlohmann::json;

constexpr size_t kMaxDescribeJobs = 100;
constexpr size_t kMaxListJobsFilters = 1;  // AWS applies one filter at a time
constexpr size_t kMaxTagKeys = 50;
constexpr size_t kMaxEpochMillisDigits = 18;  // fits int64 whatever the digits
constexpr size_t kKiB = 1024;

bool IsEpochMillis(const std::string& text) {
  return !text.empty() && text.size() <= kMaxEpochMillisDigits &&
         text.find_first_not_of("0123456789") == std::string::npos;
}

Status ReadDescribeJobs(const ObjectFields& body, DescribeJobsRequest* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("jobs", &out->jobs));
  return fields::CheckCount(body.PathOf("jobs"), out->jobs.size(), 1, kMaxDescribeJobs);
}

Status ReadFilter(const json& value, const std::string& path, ListJobsFilter* out) {
  Result<ObjectFields> filter = ObjectFields::Open(value, path);
  if (!filter.ok()) return filter.status();
  GLEANER_RETURN_IF_ERROR(filter->Required("name", &out->name));
  GLEANER_RETURN_IF_ERROR(fields::CheckEnum(
      filter->PathOf("name"), out->name,
      {"JOB_NAME", "JOB_DEFINITION", "BEFORE_CREATED_AT", "AFTER_CREATED_AT", "SHARE_IDENTIFIER"}));
  GLEANER_RETURN_IF_ERROR(filter->Required("values", &out->values));
  // A filter compares with one value; more would be silently ignored, so they are refused.
  GLEANER_RETURN_IF_ERROR(fields::CheckCount(filter->PathOf("values"), out->values.size(), 1, 1));
  const std::string& filter_value = out->values.front();
  bool by_time = out->name == "BEFORE_CREATED_AT" || out->name == "AFTER_CREATED_AT";
  if (by_time && !IsEpochMillis(filter_value)) {
    return fields::Invalid(fields::IndexPath(filter->PathOf("values"), 0), filter_value,
                           out->name + " takes a time in epoch milliseconds, 1-18 digits");
  }
  return Status::Ok();
}

Status ReadFilters(const ObjectFields& body, std::vector<ListJobsFilter>* out) {
  const json* filters = nullptr;
  GLEANER_RETURN_IF_ERROR(body.OptionalArray("filters", &filters));
  if (filters == nullptr) return Status::Ok();
  std::string path = body.PathOf("filters");
  GLEANER_RETURN_IF_ERROR(fields::CheckCount(path, filters->size(), 0, kMaxListJobsFilters));
  return fields::ReadEach(*filters, path, out, ReadFilter);
}

// Exactly one of jobQueue, arrayJobId and multiNodeJobId says whose jobs to list.
Status ReadListJobsScope(const ObjectFields& body, ListJobsRequest* out) {
  GLEANER_RETURN_IF_ERROR(fields::ReadOptionalIdentifier(body, "jobQueue", &out->job_queue));
  GLEANER_RETURN_IF_ERROR(fields::ReadOptionalIdentifier(body, "arrayJobId", &out->array_job_id));
  GLEANER_RETURN_IF_ERROR(
      fields::ReadOptionalIdentifier(body, "multiNodeJobId", &out->multi_node_job_id));
  std::string given;
  int count = 0;
  for (std::string_view member : {"jobQueue", "arrayJobId", "multiNodeJobId"}) {
    if (!body.Has(member)) continue;
    given += (count++ == 0 ? "" : " and ") + std::string(member);
  }
  if (count == 1) return Status::Ok();
  return Status::InvalidArgument(
      "jobQueue, arrayJobId and multiNodeJobId are invalid: exactly one of them must be given, "
      "got " +
      (count == 0 ? std::string("none") : given));
}

Status ReadListJobs(const ObjectFields& body, ListJobsRequest* out) {
  GLEANER_RETURN_IF_ERROR(ReadListJobsScope(body, out));
  std::optional<std::string> status;
  GLEANER_RETURN_IF_ERROR(body.Optional("jobStatus", &status));
  if (status) {
    out->job_status = ParseJobStatus(*status);
    if (!out->job_status) {
      return fields::Invalid(body.PathOf("jobStatus"), *status,
                             "must be one of SUBMITTED, PENDING, RUNNABLE, STARTING, RUNNING, "
                             "SUCCEEDED, FAILED");
    }
  }
  GLEANER_RETURN_IF_ERROR(ReadFilters(body, &out->filters));
  return fields::ReadPage(body, &out->page);
}

Status ReadStopJob(const ObjectFields& body, StopJobRequest* out) {
  GLEANER_RETURN_IF_ERROR(fields::ReadIdentifier(body, "jobId", &out->job_id));
  return body.Required("reason", &out->reason);
}

Status ReadTagResource(const ObjectFields& body, TagMap* out) {
  GLEANER_RETURN_IF_ERROR(body.Required("tags", out));
  return fields::CheckTags(body.PathOf("tags"), *out, 1);
}

}  // namespace

Result<DescribeJobsRequest> ParseDescribeJobs(const json& body) {
  return fields::ParseBody<DescribeJobsRequest>(body, ReadDescribeJobs);
}

Result<ListJobsRequest> ParseListJobs(const json& body) {
  return fields::ParseBody<ListJobsRequest>(body, ReadListJobs);
}

Result<StopJobRequest> ParseCancelJob(const json& body) {
  return fields::ParseBody<StopJobRequest>(body, ReadStopJob);
}

Result<StopJobRequest> ParseTerminateJob(const json& body) {
  return fields::ParseBody<StopJobRequest>(body, ReadStopJob);
}

Status CheckResourceArn(const std::string& resource_arn) {
  if (LooksLikeArn(resource_arn)) return Status::Ok();
  return fields::Invalid("resourceArn", resource_arn,
                         "must be an ARN, such as "
                         "arn:aws:batch:us-east-1:123456789012:job-queue/my-queue");
}

Result<TagMap> ParseTags(const json& body) {
  return fields::ParseBody<TagMap>(body, ReadTagResource);
}

Status CheckTagKeys(const std::vector<std::string>& tag_keys) {
  GLEANER_RETURN_IF_ERROR(fields::CheckCount("tagKeys", tag_keys.size(), 1, kMaxTagKeys));
  for (size_t index = 0; index < tag_keys.size(); ++index) {
    GLEANER_RETURN_IF_ERROR(
        fields::CheckTagKey(fields::IndexPath("tagKeys", index), tag_keys[index]));
  }
  return Status::Ok();
}

Status CheckPayloadSize(const std::string& operation, size_t bytes) {
  size_t limit_kib = 1024;  // 1 MiB
  if (operation == "SubmitJob") limit_kib = 30;
  if (operation == "RegisterJobDefinition") limit_kib = 24;
  size_t limit = limit_kib * kKiB;
  if (bytes <= limit) return Status::Ok();
  std::string limit_text =
      std::to_string(limit) + " bytes (" +
      (limit_kib == 1024 ? std::string("1 MiB") : std::to_string(limit_kib) + " KiB") + ")";
  return Status::InvalidArgument("the " + operation +
                                 " request body is too large: must be at most " + limit_text +
                                 ", got " + std::to_string(bytes) + " bytes");
}

}  // namespace gleaner
