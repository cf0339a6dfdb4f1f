#pragma once

#include <string>
#include <string_view>

namespace gleaner {

// Binds an agent's instance id to the agent that registered it. The credential for an id is
// HMAC-SHA256(key, id), handed to the agent when it registers: the server keeps no secret per
// agent, and after a restart (the key lives in the data directory) an agent still proves that the
// id it returns with is its own. Without it any agent could register under another's id and then
// report on its jobs, ship into its logs or receive its assignments (and their secrets).
class AgentIdentity {
 public:
  // `key`: secret bytes, at least 32 of them.
  explicit AgentIdentity(std::string key) : key_(std::move(key)) {}

  // 64 lower-case hex digits.
  std::string CredentialFor(std::string_view instance_id) const;
  // Whether `presented` is the credential for `instance_id`, compared in constant time.
  bool Verify(std::string_view instance_id, std::string_view presented) const;

 private:
  std::string key_;
};

}  // namespace gleaner
