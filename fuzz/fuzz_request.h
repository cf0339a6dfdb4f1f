#pragma once

// The fuzz targets' text form of HTTP requests, so that seeds are readable and the fuzzer's
// mutations stay close to what a client sends:
//
//   POST /v1/submitjob?a=b          <- method, one space, the target (path, then '?' and query)
//   content-type: application/json <- headers until an empty line; names are lower-cased
//                                   <- empty line
//   {"jobName": "j"}                <- the body, up to the next separator line or the end
//   %%                              <- separator: another request follows
//
// Anything goes: a missing space, header or body is just empty. A header named x-fuzz-too-large
// marks the body as over the server's limit (the HTTP server drops such bodies).

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_server.h"

namespace gleaner::fuzz {

inline constexpr std::string_view kRequestSeparator = "\n%%\n";

inline std::string_view NextLine(std::string_view& text) {
  size_t end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return line;
}

inline HttpRequest ParseFuzzRequest(std::string_view text) {
  HttpRequest request;
  std::string_view start = NextLine(text);
  size_t space = start.find(' ');
  request.method = std::string(start.substr(0, space));
  std::string_view target =
      space == std::string_view::npos ? std::string_view() : start.substr(space + 1);
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  while (!text.empty()) {
    std::string_view line = NextLine(text);
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value =
        colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (name == "x-fuzz-too-large") {
      request.body_too_large = true;
      continue;
    }
    auto [it, inserted] = request.headers.try_emplace(name, value);
    if (!inserted) {  // as the HTTP server joins a repeated header
      it->second += ", ";
      it->second += value;
    }
  }
  if (!request.body_too_large) request.body = std::string(text);
  return request;
}

// At most `max_requests` requests (the rest of the input is ignored), so one input stays quick.
inline std::vector<HttpRequest> ParseFuzzRequests(std::string_view text, size_t max_requests) {
  std::vector<HttpRequest> requests;
  while (requests.size() < max_requests) {
    size_t separator = text.find(kRequestSeparator);
    requests.push_back(ParseFuzzRequest(text.substr(0, separator)));
    if (separator == std::string_view::npos) break;
    text.remove_prefix(separator + kRequestSeparator.size());
  }
  return requests;
}

}  // namespace gleaner::fuzz
