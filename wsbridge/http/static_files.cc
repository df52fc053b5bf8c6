#include "wsbridge/http/static_files.h"

#include <string>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "wsbridge/http/url.h"

namespace wsbridge {
namespace {

struct TypeEntry {
  absl::string_view extension;
  absl::string_view type;
};

constexpr TypeEntry kTypes[] = {
    {".html", "text/html; charset=utf-8"},
    {".htm", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".webmanifest", "application/manifest+json"},
    {".txt", "text/plain; charset=utf-8"},
    {".md", "text/markdown; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".wasm", "application/wasm"},
};

// Whether `inner` is `outer` or lies below it (both canonical).
bool IsWithin(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  auto outer_it = outer.begin();
  auto inner_it = inner.begin();
  for (; outer_it != outer.end(); ++outer_it, ++inner_it) {
    if (inner_it == inner.end() || *inner_it != *outer_it) {
      return false;
    }
  }
  return true;
}

}  // namespace

StaticFiles::StaticFiles(const std::filesystem::path& root) {
  std::error_code ec;
  root_ = std::filesystem::canonical(root, ec);
  if (ec) {
    root_ = std::filesystem::absolute(root).lexically_normal();
  }
}

absl::StatusOr<std::filesystem::path> StaticFiles::Resolve(
    absl::string_view request_path) const {
  auto decoded = PercentDecode(request_path, /*plus_is_space=*/false);
  if (!decoded.ok()) {
    return decoded.status();
  }
  std::string path = *std::move(decoded);
  if (path.empty() || path.front() != '/') {
    return absl::NotFoundError("not found");
  }
  if (path.back() == '/') {
    path += "index.html";
  }
  std::filesystem::path relative;
  for (absl::string_view segment : absl::StrSplit(path.substr(1), '/')) {
    // Empty segments ("//"), "." and "..", dot-files and backslashes are never served.
    if (segment.empty() || segment.front() == '.' || absl::StrContains(segment, '\\')) {
      return absl::NotFoundError("not found");
    }
    relative /= std::string(segment);
  }
  std::error_code ec;
  const std::filesystem::path file = std::filesystem::canonical(root_ / relative, ec);
  if (ec || !IsWithin(file, root_) || !std::filesystem::is_regular_file(file, ec)) {
    return absl::NotFoundError("not found");
  }
  return file;
}

absl::string_view StaticFiles::ContentType(const std::filesystem::path& file) {
  const std::string extension = absl::AsciiStrToLower(file.extension().string());
  for (const TypeEntry& entry : kTypes) {
    if (entry.extension == extension) {
      return entry.type;
    }
  }
  return "application/octet-stream";
}

}  // namespace wsbridge
