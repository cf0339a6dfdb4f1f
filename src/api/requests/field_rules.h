#pragma once

// AWS Batch's rules for values that appear in many requests: names, enums, identifiers, tags,
// share identifiers and paging. Each check returns the Status the client sees.

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "api/requests/json_fields.h"
#include "common/status.h"
#include "model/compute_environment.h"
#include "scheduler/requests.h"

namespace gleaner::fields {

// Compute environment, job queue, job definition and scheduling policy names.
Status CheckResourceName(std::string_view path, const std::string& name);
// Job names: like resource names, and the first character is a letter or digit.
Status CheckJobName(std::string_view path, const std::string& name);
// `value` is exactly one of `allowed` (AWS's enums are case-sensitive).
Status CheckEnum(std::string_view path, const std::string& value,
                 std::initializer_list<std::string_view> allowed);
// The optional "state" of a compute environment or job queue: ENABLED or DISABLED.
Status ReadResourceState(const ObjectFields& fields, std::optional<ResourceState>* out);
// A fair-share identifier: up to 255 letters and digits, optionally ending in '*'.
Status CheckShareIdentifier(std::string_view path, const std::string& identifier);

// A required string that names something (a name, an ARN, a job id): it must not be empty.
Status ReadIdentifier(const ObjectFields& fields, std::string_view member, std::string* out);
// An optional name or ARN; present means non-empty.
Status ReadOptionalIdentifier(const ObjectFields& fields, std::string_view member,
                              std::string* out);

// Resource tags (AWS's TagrisTagsMap): at most 50; keys 1-128 characters and not starting with
// "aws:" (reserved for AWS, in any case); values at most 256 characters.
Status CheckTagKey(std::string_view path, const std::string& key);
Status CheckTags(std::string_view path, const TagMap& tags, size_t min_count);
// The optional "tags" member of a create request.
Status ReadTags(const ObjectFields& fields, TagMap* out);

// maxResults and nextToken of a paginated request.
Status ReadPage(const ObjectFields& fields, PageRequest* out);

}  // namespace gleaner::fields
