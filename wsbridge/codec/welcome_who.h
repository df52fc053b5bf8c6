#pragma once

// Who joined where, read from a Welcome's JSON frame (roomd checked both; the bridge never
// trusts what the browser claimed). Reads only the head of the frame: in a big room the
// Welcome also carries a page of the online list and the history, and parsing all of it
// for two strings was about 15% of the bridge's samples during a join storm.

#include <string>

#include "absl/strings/string_view.h"

namespace wsbridge {

struct WelcomeWho {
  std::string room;
  std::string user_id;
};

// Empty fields when `frame` is not a Welcome or says nothing of them.
WelcomeWho WhoOfWelcome(absl::string_view frame);

}  // namespace wsbridge
