#pragma once

// Maps request paths to files under the web root, refusing anything that would leave it.

#include <filesystem>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace wsbridge {

class StaticFiles {
 public:
  // `root` must exist; it is made canonical once here.
  explicit StaticFiles(const std::filesystem::path& root);

  // The regular file a request path ("/", "/app.js", "/img/a%20b.png") names.
  // NOT_FOUND for missing files, directories, dot-files and any `..` (plain or encoded)
  // or symlink that leads outside the root; INVALID_ARGUMENT for malformed escapes.
  absl::StatusOr<std::filesystem::path> Resolve(absl::string_view request_path) const;

  // The Content-Type for a file, from its extension; text types say charset=utf-8.
  static absl::string_view ContentType(const std::filesystem::path& file);

  const std::filesystem::path& root() const { return root_; }

 private:
  std::filesystem::path root_;
};

}  // namespace wsbridge
