#pragma once

// gleaner's one HTTP handler (MakeGleanerHttpHandler) over a real BatchState and a simulated
// cloud, in one thread and virtual time, for the fuzz targets that feed it requests. Each request
// is answered before Serve returns; the answer must be the protocol's own (2xx, or a 4xx error in
// the service's shape). Anything else aborts the process with the request and the answer printed:
// a 5xx, no answer or two, an exception, a JSON answer that is not JSON, or one that is not UTF-8.

#include <cstdint>
#include <map>
#include <string>

#include "api/batch_api.h"
#include "api/batch_executor.h"
#include "api/http_server.h"
#include "capacity/simulated_cloud.h"
#include "common/clock.h"
#include "scheduler/batch_state.h"

namespace gleaner::fuzz {

// Runs each command on the calling thread, then a scheduling pass as the engine does after its
// commands: the cloud advances, RUNNABLE jobs are placed, capacity is launched, and every attempt
// that starts is "launched" at once (a made-up pid; no process is started).
class InlineExecutor final : public BatchExecutor {
 public:
  InlineExecutor(BatchState& state, SimulatedCloud& cloud) : state_(state), cloud_(cloud) {}
  void Execute(BatchCommand command, BatchReply reply) override;

 private:
  void Launch(const Decisions& decisions);

  BatchState& state_;
  SimulatedCloud& cloud_;
  int64_t next_pid_ = 100;
};

struct ApiWorldOptions {
  // Where the Logs subset reads attempt logs (GetLogEvents).
  std::string log_directory;
  // Virtual time that passes before each request (instances boot, notices come due).
  int64_t advance_millis_per_request = 0;
};

class ApiWorld {
 public:
  explicit ApiWorld(const ApiWorldOptions& options);
  ApiWorld(const ApiWorld&) = delete;
  ApiWorld& operator=(const ApiWorld&) = delete;

  // Answers `request` and checks the answer (see the top of this file). Returns it. With
  // GLEANER_FUZZ_VERBOSE set in the environment, prints both (to see what an input does).
  HttpResponse Serve(HttpRequest request);

  // A catalog to answer about: an UNMANAGED compute environment "unmanaged" with one spot
  // instance in its cluster, a MANAGED EC2 one "managed", queue "q" over both, definition "def",
  // and a job submitted to it. Made through the handler, so it must answer 2xx.
  void Populate();

  BatchState& state() { return state_; }
  SimulatedCloud& cloud() { return cloud_; }
  FakeClock& clock() { return clock_; }

 private:
  ApiWorldOptions options_;
  FakeClock clock_;
  BatchState state_;
  SimulatedCloud cloud_;
  InlineExecutor executor_;
  HttpHandler handler_;
  bool verbose_ = false;
};

// A request in the text form of fuzz_request.h, for setup and messages.
HttpRequest MakeRequest(std::string method, std::string path, std::string body,
                        std::map<std::string, std::string> headers = {});

// Printable: the request and the answer, for a finding's report.
std::string Describe(const HttpRequest& request);
std::string Describe(const HttpResponse& response);

// Ends the process (libFuzzer records the input as a crash) after printing `what`.
[[noreturn]] void Finding(const std::string& what);

// A fresh, empty directory under /tmp, removed when the process exits normally.
std::string MakeTemporaryDirectory(const char* name);
// A log directory holding one attempt's log, stream "def/default/0001" (some lines are not UTF-8).
std::string MakeLogDirectory();

}  // namespace gleaner::fuzz
