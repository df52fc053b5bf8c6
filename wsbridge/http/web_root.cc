#include "wsbridge/http/web_root.h"

#include <filesystem>
#include <system_error>

namespace wsbridge {

std::optional<std::string> DefaultWebRoot() {
  std::error_code ec;
#ifdef WSBRIDGE_SOURCE_WEB_ROOT
  if (std::filesystem::is_directory(WSBRIDGE_SOURCE_WEB_ROOT, ec)) {
    return std::string(WSBRIDGE_SOURCE_WEB_ROOT);
  }
#endif
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return std::nullopt;
  }
  const std::filesystem::path dir = binary.parent_path();
  for (const char* relative : {"../../web", "../web", "web", "../share/wsbridge/web"}) {
    const std::filesystem::path candidate = (dir / relative).lexically_normal();
    if (std::filesystem::is_directory(candidate, ec)) {
      return candidate.string();
    }
  }
  return std::nullopt;
}

}  // namespace wsbridge
