#pragma once

// Shared by the files that implement Batch operations; not for other modules.

#include <nlohmann/json.hpp>

#include <string>
#include <utility>

#include "api/batch_executor.h"
#include "scheduler/requests.h"

namespace gleaner {

// Parses with `parse`; on success runs `run(state, request)` on the scheduler thread and replies
// with what it returns. A parse error is answered at once, without touching the scheduler.
template <typename Parse, typename Run>
void ParseAndExecute(const nlohmann::json& body, BatchExecutor& executor, BatchReply reply,
                     Parse parse, Run run) {
  auto request = parse(body);
  if (!request.ok()) {
    reply(request.status());
    return;
  }
  executor.Execute(
      [request = std::move(request).value(),
       run](BatchState& state) mutable -> Result<nlohmann::json> { return run(state, request); },
      std::move(reply));
}

// nextToken on the wire is opaque: the position (a name or id) in URL-safe base64 behind a version
// tag, so that a made-up or mangled token is recognised and refused rather than misread.
std::string EncodePageToken(const std::string& position);
Result<std::string> DecodePageToken(const std::string& token);

inline void AddNextToken(nlohmann::json& response, const std::string& position) {
  if (!position.empty()) response["nextToken"] = EncodePageToken(position);
}

// Replaces the client's nextToken in `page` by the position it stands for.
inline Status DecodePage(PageRequest& page) {
  if (page.next_token.empty()) return Status::Ok();
  Result<std::string> position = DecodePageToken(page.next_token);
  if (!position.ok()) return position.status();
  page.next_token = *position;
  return Status::Ok();
}

}  // namespace gleaner
