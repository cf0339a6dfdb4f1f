#include "server/dashboard_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/percent_encoding.h"

namespace gleaner {
namespace {

constexpr std::string_view kPrefix = "/ui";

std::string ContentTypeOf(const std::string& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"}};
  auto found = kTypes.find(std::filesystem::path(path).extension().string());
  return found == kTypes.end() ? "application/octet-stream" : found->second;
}

void AddSecurityHeaders(HttpResponse& response) {
  response.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
      "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

}  // namespace

std::shared_ptr<DashboardFiles> DashboardFiles::Load(const std::string& directory) {
  auto files = std::make_shared<DashboardFiles>();
  files->directory_ = directory;
  std::error_code error;
  if (directory.empty() || !std::filesystem::is_directory(directory, error)) return files;
  for (auto it = std::filesystem::recursive_directory_iterator(directory, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    if (!it->is_regular_file(error)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    std::string relative = std::filesystem::relative(it->path(), directory, error).generic_string();
    if (!error && in) files->files_[relative] = content.str();
  }
  return files;
}

HttpHandler DashboardFiles::Handler() const {
  return [self = shared_from_this()](HttpRequest&& request, Responder respond) {
    respond(self->Serve(request));
  };
}

HttpResponse DashboardFiles::Serve(const HttpRequest& request) const {
  HttpResponse response;
  AddSecurityHeaders(response);
  if (request.method != "GET" && request.method != "HEAD") {
    response.status = 405;
    response.content_type = "text/plain; charset=utf-8";
    response.headers.emplace_back("Allow", "GET, HEAD");
    response.body = "The dashboard's files are read with GET\n";
    return response;
  }
  if (!built()) {
    response.status = 404;
    response.content_type = "text/plain; charset=utf-8";
    response.body =
        "The dashboard is not built" +
        (directory_.empty() ? std::string() : " (no index.html in " + directory_ + ")") +
        ": scripts/build.sh builds it with npm, or point gleaner up --ui-dir at it.\n";
    return response;
  }
  std::string path = PercentDecode(request.path, false).substr(kPrefix.size());
  while (!path.empty() && path.front() == '/') path.erase(0, 1);
  auto file = files_.find(path);
  if (file != files_.end() && path != "index.html") {
    response.content_type = ContentTypeOf(path);
    response.body = file->second;
    response.headers.emplace_back("Cache-Control", path.starts_with("assets/")
                                                       ? "public, max-age=31536000, immutable"
                                                       : "no-cache");
    return response;
  }
  if (path.starts_with("assets/")) {
    response.status = 404;
    response.content_type = "text/plain; charset=utf-8";
    response.body = "No such file in the dashboard: " + path + "\n";
    return response;
  }
  response.content_type = "text/html; charset=utf-8";
  response.body = files_.at("index.html");
  response.headers.emplace_back("Cache-Control", "no-cache");
  return response;
}

}  // namespace gleaner
