#include "server/dashboard_routes.h"

#include <filesystem>

#include "api/browser_sessions.h"
#include "server/dashboard_files.h"
#include "server/jobs_route.h"

namespace gleaner {

std::string AddDashboardRoutes(GleanerApiOptions& options, BatchExecutor& executor,
                               const std::string& ui_directory, bool tls) {
  std::string directory = ui_directory;
  if (directory.empty()) {
    std::error_code error;
    std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
    if (!error) directory = (binary.parent_path() / "ui").string();
  }
  std::shared_ptr<DashboardFiles> files = DashboardFiles::Load(directory);
  options.public_routes.emplace_back("/ui", files->Handler());
  if (options.authentication.enabled) {
    options.sessions = std::make_shared<BrowserSessions>(*options.authentication.clock,
                                                         options.authentication.secrets, tls);
  }
  options.public_routes.emplace_back("/gleaner/v1/session",
                                     MakeSessionRoute(options.sessions.get()));
  options.routes.emplace_back("/gleaner/v1/jobs", MakeJobsRoute(executor));
  if (!files->built()) {
    return "not built (no index.html in " + directory + "; scripts/build.sh builds it with npm)";
  }
  return "/ui" + std::string(options.authentication.enabled
                                 ? " (sign in with an access key of the credentials)"
                                 : "");
}

}  // namespace gleaner
