#pragma once

#include <memory>
#include <utility>

#include "chat/v1/chat.pb.h"

namespace roomd {

// A participant's User, built once at join and shared by everything that keeps it while the
// connection lives (its session, its room member entry, the room's online list and name
// index), instead of one copy each: a User with its Gravatar URL is a few hundred bytes of
// heap. Immutable, so any thread may read it; the last holder frees it.
using UserRef = std::shared_ptr<const chat::v1::User>;

inline UserRef MakeUserRef(chat::v1::User user) {
  return std::make_shared<const chat::v1::User>(std::move(user));
}

}  // namespace roomd
