#pragma once

// Finds the web/ folder when --web_root is not given, so `wsbridge` runs from a build tree.

#include <optional>
#include <string>

namespace wsbridge {

// The source tree's web/ (a compile-time path), else a web/ near the binary
// (../../web, ../web, ./web, ../share/wsbridge/web); nullopt if none exists.
std::optional<std::string> DefaultWebRoot();

}  // namespace wsbridge
