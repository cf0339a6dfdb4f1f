#include "api/aws_credentials.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>

namespace gleaner {
namespace {

std::string Trimmed(const std::string& text) {
  size_t start = text.find_first_not_of(" \t\r");
  if (start == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r");
  return text.substr(start, end - start + 1);
}

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// `length` characters from `alphabet`, drawn from the kernel's random source.
Result<std::string> RandomText(size_t length, std::string_view alphabet) {
  std::string bytes(length, '\0');
  if (getrandom(bytes.data(), length, 0) != static_cast<ssize_t>(length)) {
    return Status::Internal("cannot draw random bytes for a key pair");
  }
  std::string text;
  for (unsigned char byte : bytes) text += alphabet[byte % alphabet.size()];
  return text;
}

}  // namespace

Result<std::vector<CredentialsProfile>> ReadCredentialsFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status::InvalidArgument("cannot read the credentials file " + path);
  std::vector<CredentialsProfile> profiles;
  CredentialsProfile current;
  auto finish = [&] {
    if (!current.credentials.access_key_id.empty() &&
        !current.credentials.secret_access_key.empty()) {
      profiles.push_back(current);
    }
  };
  for (std::string line; std::getline(file, line);) {
    std::string text = Trimmed(line);
    if (text.empty() || text[0] == '#' || text[0] == ';') continue;
    if (text.front() == '[' && text.back() == ']') {
      finish();
      current = {Trimmed(text.substr(1, text.size() - 2)), {}};
      continue;
    }
    size_t equals = text.find('=');
    if (equals == std::string::npos) continue;
    std::string key = Trimmed(text.substr(0, equals));
    std::string value = Trimmed(text.substr(equals + 1));
    if (key == "aws_access_key_id") current.credentials.access_key_id = value;
    if (key == "aws_secret_access_key") current.credentials.secret_access_key = value;
    if (key == "aws_session_token") current.credentials.session_token = value;
  }
  finish();
  if (profiles.empty()) {
    return Status::InvalidArgument("the credentials file " + path +
                                   " has no aws_access_key_id with an aws_secret_access_key");
  }
  return profiles;
}

Result<SigV4Credentials> CreateCredentialsFile(const std::string& path) {
  Result<std::string> key_id = RandomText(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
  Result<std::string> secret =
      RandomText(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  if (!key_id.ok()) return key_id.status();
  if (!secret.ok()) return secret.status();
  SigV4Credentials credentials{"AKIA" + *key_id, *secret, ""};
  std::string text =
      "# gleaner's access key, made on its first start; any AWS client can use it\n"
      "[default]\naws_access_key_id = " +
      credentials.access_key_id + "\naws_secret_access_key = " + credentials.secret_access_key +
      "\n";
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return Status::Internal("cannot create the credentials file " + path);
  bool written =
      write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsync(fd) == 0;
  close(fd);
  if (!written) return Status::Internal("cannot write the credentials file " + path);
  return credentials;
}

std::optional<SigV4Credentials> CredentialsFromEnvironment() {
  std::string key_id = Getenv("AWS_ACCESS_KEY_ID");
  std::string secret = Getenv("AWS_SECRET_ACCESS_KEY");
  if (!key_id.empty() && !secret.empty()) {
    return SigV4Credentials{key_id, secret, Getenv("AWS_SESSION_TOKEN")};
  }
  std::string path = Getenv("AWS_SHARED_CREDENTIALS_FILE");
  if (path.empty()) {
    std::string home = Getenv("HOME");
    if (home.empty()) return std::nullopt;
    path = home + "/.aws/credentials";
  }
  std::string profile = Getenv("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  Result<std::vector<CredentialsProfile>> profiles = ReadCredentialsFile(path);
  if (!profiles.ok()) return std::nullopt;
  for (const CredentialsProfile& candidate : *profiles) {
    if (candidate.name == profile) return candidate.credentials;
  }
  return std::nullopt;
}

std::string RegionFromEnvironment() {
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    std::string region = Getenv(name);
    if (!region.empty()) return region;
  }
  return "us-east-1";
}

}  // namespace gleaner
