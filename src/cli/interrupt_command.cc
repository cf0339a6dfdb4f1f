#include "cli/interrupt_command.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <iostream>

#include "api/http_client.h"

namespace gleaner {

Result<int64_t> ParseDurationMillis(const std::string& text) {
  size_t digits_end = 0;
  double number = 0;
  try {
    number = std::stod(text, &digits_end);
  } catch (const std::exception&) {
    digits_end = 0;
  }
  std::string unit = text.substr(digits_end);
  double scale = unit.empty() || unit == "s" ? 1000
                 : unit == "ms"              ? 1
                 : unit == "m"               ? 60'000
                 : unit == "h"               ? 3'600'000
                                             : -1;
  if (digits_end == 0 || scale < 0 || !std::isfinite(number) || number < 0 || number > 1e7) {
    return Status::InvalidArgument("\"" + text +
                                   "\" is not a duration: use e.g. 500ms, 5s, 2m, 1h or seconds");
  }
  return std::llround(number * scale);
}

int RunInterruptCommand(const InterruptCommandOptions& options) {
  nlohmann::json body = nlohmann::json::object();
  if (!options.job_id.empty()) body["jobId"] = options.job_id;
  if (!options.instance_id.empty()) body["instanceId"] = options.instance_id;
  if (!options.compute_environment.empty())
    body["computeEnvironment"] = options.compute_environment;
  if (options.count) body["count"] = *options.count;
  if (options.percent) body["percent"] = *options.percent;
  for (const auto& [text, member] : {std::pair{options.notice, "noticeSeconds"},
                                     std::pair{options.rebalance_lead, "rebalanceLeadSeconds"}}) {
    if (text.empty()) continue;
    Result<int64_t> millis = ParseDurationMillis(text);
    if (!millis.ok()) {
      std::cerr << "gleaner interrupt: " << millis.status().message() << "\n";
      return 2;
    }
    body[member] = static_cast<double>(*millis) / 1000.0;
  }
  auto client = ConnectWithAwsCredentials(options.endpoint);
  if (!client.ok()) {
    std::cerr << "gleaner interrupt: " << client.status().message() << "\n";
    return 1;
  }
  auto response =
      client->Post("/gleaner/v1/interrupt", body.dump(), {{"Content-Type", "application/json"}});
  if (!response.ok()) {
    std::cerr << "gleaner interrupt: " << response.status().message() << "\n";
    return 1;
  }
  nlohmann::json parsed = nlohmann::json::parse(response->body, nullptr, false);
  if (response->status != 200 || parsed.is_discarded()) {
    std::string message = parsed.is_object() && parsed.contains("message")
                              ? parsed["message"].get<std::string>()
                              : response->body;
    std::cerr << "gleaner interrupt: " << message << "\n";
    return 1;
  }
  for (const auto& instance : parsed["interruptions"]) {
    std::cout << instance.value("instanceId", "") << "\tnotice " << instance.value("noticeTime", "")
              << "\tterminated " << instance.value("terminationTime", "") << "\n";
  }
  return 0;
}

}  // namespace gleaner
