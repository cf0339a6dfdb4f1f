#pragma once

// Access keys as the AWS CLI keeps them: its `credentials` file (INI sections, one per profile,
// with aws_access_key_id, aws_secret_access_key and optionally aws_session_token) and the
// environment variables every SDK reads.

#include <optional>
#include <string>
#include <vector>

#include "api/sigv4.h"
#include "common/status.h"

namespace gleaner {

struct CredentialsProfile {
  std::string name;
  SigV4Credentials credentials;
};

// Every profile with both an access key id and a secret; an unreadable file or one without any
// pair is an error naming the file.
Result<std::vector<CredentialsProfile>> ReadCredentialsFile(const std::string& path);

// A new key pair (AKIA… and 40 characters of secret) written to `path` (0600) as [default].
Result<SigV4Credentials> CreateCredentialsFile(const std::string& path);

// The standard chain for gleaner's own clients: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+
// AWS_SESSION_TOKEN), else the shared credentials file ($AWS_SHARED_CREDENTIALS_FILE or
// ~/.aws/credentials), profile $AWS_PROFILE or "default". nullopt when there are none.
std::optional<SigV4Credentials> CredentialsFromEnvironment();
// $AWS_REGION, else $AWS_DEFAULT_REGION, else us-east-1.
std::string RegionFromEnvironment();

}  // namespace gleaner
