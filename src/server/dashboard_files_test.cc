#include "server/dashboard_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gleaner {
namespace {

class DashboardFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::path(::testing::TempDir()) /
            ("dashboard-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    std::filesystem::create_directories(root_ / "ui" / "assets");
    Write("ui/index.html", "<!doctype html><div id=app></div>");
    Write("ui/assets/index-abc123.js", "console.log(1)");
    Write("ui/favicon.svg", "<svg/>");
    Write("secret.txt", "outside the dashboard");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  void Write(const std::string& path, const std::string& content) {
    std::ofstream(root_ / path) << content;
  }
  static HttpResponse Get(const DashboardFiles& files, const std::string& path,
                          const std::string& method = "GET") {
    HttpRequest request;
    request.method = method;
    request.path = path;
    HttpResponse answer;
    files.Handler()(std::move(request), [&answer](HttpResponse r) { answer = std::move(r); });
    return answer;
  }
  static std::string Header(const HttpResponse& response, const std::string& name) {
    for (const auto& [key, value] : response.headers) {
      if (key == name) return value;
    }
    return "";
  }

  std::filesystem::path root_;
};

TEST_F(DashboardFilesTest, ServesTheBundleAndRoutesEverythingElseToTheIndex) {
  auto files = DashboardFiles::Load((root_ / "ui").string());
  ASSERT_TRUE(files->built());
  HttpResponse script = Get(*files, "/ui/assets/index-abc123.js");
  EXPECT_EQ(script.status, 200);
  EXPECT_EQ(script.body, "console.log(1)");
  EXPECT_EQ(script.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(Header(script, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(Get(*files, "/ui/favicon.svg").content_type, "image/svg+xml");

  for (const char* route : {"/ui", "/ui/", "/ui/jobs/0193-a", "/ui/compute-environments/spot"}) {
    HttpResponse page = Get(*files, route);
    EXPECT_EQ(page.status, 200) << route;
    EXPECT_EQ(page.body, "<!doctype html><div id=app></div>") << route;
    EXPECT_EQ(Header(page, "Cache-Control"), "no-cache") << route;
    EXPECT_NE(Header(page, "Content-Security-Policy").find("frame-ancestors 'none'"),
              std::string::npos);
  }
  EXPECT_EQ(Get(*files, "/ui/assets/missing.js").status, 404);
}

TEST_F(DashboardFilesTest, NothingOutsideTheDirectoryIsReachable) {
  auto files = DashboardFiles::Load((root_ / "ui").string());
  for (const char* path :
       {"/ui/../secret.txt", "/ui/%2e%2e/secret.txt", "/ui/assets/../../secret.txt"}) {
    HttpResponse answer = Get(*files, path);
    EXPECT_EQ(answer.body.find("outside"), std::string::npos) << path;
  }
  EXPECT_EQ(Get(*files, "/ui/", "POST").status, 405);
}

TEST_F(DashboardFilesTest, UnbuiltSaysHowToBuildIt) {
  auto files = DashboardFiles::Load((root_ / "nowhere").string());
  EXPECT_FALSE(files->built());
  HttpResponse answer = Get(*files, "/ui/");
  EXPECT_EQ(answer.status, 404);
  EXPECT_NE(answer.body.find("scripts/build.sh"), std::string::npos);
}

}  // namespace
}  // namespace gleaner
