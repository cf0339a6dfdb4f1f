#include "server/agent_identity.h"

#include "api/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace gleaner {

std::string AgentIdentity::CredentialFor(std::string_view instance_id) const {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(instance_id.data()), instance_id.size(),
       digest.data(), &length);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 0xF];
  }
  return hex;
}

bool AgentIdentity::Verify(std::string_view instance_id, std::string_view presented) const {
  return SecretsEqual(CredentialFor(instance_id), presented);
}

}  // namespace gleaner
