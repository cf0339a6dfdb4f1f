#pragma once

#include <map>
#include <memory>
#include <string>

#include "api/http_server.h"

namespace gleaner {

// The web dashboard's built files (ui/, built by `npm run build` into build/ui), read once into
// memory at start, so that no request can reach any other file. Served at /ui without a signature
// (the page itself holds no data; everything it shows comes from the API behind the sign-in):
//   /ui/assets/<file>  the bundle, cached for a year (Vite names its files by their content);
//   /ui/<file>         any other built file;
//   /ui, /ui/<route>   index.html, which routes in the browser (deep links: /ui/jobs/<id>).
// Every answer forbids framing and any script or connection to another origin.
class DashboardFiles : public std::enable_shared_from_this<DashboardFiles> {
 public:
  // Reads every regular file under `directory`. A missing directory is not an error: the
  // dashboard then answers 404 with how to build it (`built()` is false).
  static std::shared_ptr<DashboardFiles> Load(const std::string& directory);

  bool built() const { return files_.count("index.html") != 0; }
  const std::string& directory() const { return directory_; }
  HttpHandler Handler() const;

 private:
  HttpResponse Serve(const HttpRequest& request) const;

  std::string directory_;
  std::map<std::string, std::string> files_;  // path below the directory -> content
};

}  // namespace gleaner
