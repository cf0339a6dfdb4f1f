#pragma once

#include <string>

#include "api/batch_api.h"
#include "api/batch_executor.h"

namespace gleaner {

// Adds the web dashboard to gleaner's endpoint: its files at /ui (from `ui_directory`; empty: the
// `ui` directory beside the gleaner binary, where scripts/build.sh puts it), the sign-in at
// /gleaner/v1/session (browsers trade an access key for a session cookie unless
// `options.authentication` is disabled), and the paged jobs listing at /gleaner/v1/jobs. Returns
// for the start banner where the dashboard is ("/ui ...", below the endpoint), or why it is not
// there.
std::string AddDashboardRoutes(GleanerApiOptions& options, BatchExecutor& executor,
                               const std::string& ui_directory, bool tls);

}  // namespace gleaner
