#include "wsbridge/http/static_files.h"

#include <stdlib.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace wsbridge {
namespace {

class StaticFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "static_files_test_XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    scratch_ = pattern;
    root_ = scratch_ / "web";
    std::filesystem::create_directories(root_ / "img");
    std::ofstream(root_ / "index.html") << "x";
    std::ofstream(root_ / "img" / "a b.png") << "x";
    std::ofstream(root_ / ".env") << "x";
    std::ofstream(scratch_ / "secret.txt") << "x";
    std::filesystem::create_symlink("../secret.txt", root_ / "link.txt");
    std::filesystem::create_symlink("index.html", root_ / "alias.html");
  }
  void TearDown() override { std::filesystem::remove_all(scratch_); }

  std::filesystem::path scratch_;
  std::filesystem::path root_;
};

TEST_F(StaticFilesTest, ResolvesFilesInsideTheRoot) {
  const StaticFiles files(root_);
  EXPECT_EQ(*files.Resolve("/"), std::filesystem::canonical(root_ / "index.html"));
  EXPECT_EQ(*files.Resolve("/index.html"), std::filesystem::canonical(root_ / "index.html"));
  EXPECT_EQ(*files.Resolve("/img/a%20b.png"), std::filesystem::canonical(root_ / "img/a b.png"));
  EXPECT_TRUE(files.Resolve("/alias.html").ok());  // a symlink that stays inside
}

TEST_F(StaticFilesTest, RefusesEscapesHiddenFilesAndDirectories) {
  const StaticFiles files(root_);
  for (const char* path :
       {"/../secret.txt", "/img/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2e%2Fsecret.txt",
        "/..%5csecret.txt", "/link.txt", "/.env", "/img", "/img/", "/nope", "", "index.html",
        "//index.html", "/./index.html", "/img/./a%20b.png"}) {
    SCOPED_TRACE(path);
    auto resolved = files.Resolve(path);
    ASSERT_FALSE(resolved.ok());
    EXPECT_EQ(resolved.status().code(), absl::StatusCode::kNotFound);
  }
  EXPECT_EQ(files.Resolve("/%zz").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(files.Resolve("/a%00b").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(StaticFilesTest, ContentTypes) {
  EXPECT_EQ(StaticFiles::ContentType("a.html"), "text/html; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentType("a.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentType("a.css"), "text/css; charset=utf-8");
  EXPECT_EQ(StaticFiles::ContentType("a.svg"), "image/svg+xml");
  EXPECT_EQ(StaticFiles::ContentType("a.png"), "image/png");
  EXPECT_EQ(StaticFiles::ContentType("a.json"), "application/json");
  EXPECT_EQ(StaticFiles::ContentType("a.bin"), "application/octet-stream");
  EXPECT_EQ(StaticFiles::ContentType("Makefile"), "application/octet-stream");
}

}  // namespace
}  // namespace wsbridge
