#pragma once

// The user roomd makes of an email alone (open mode), as the core's unit tests join them.

#include <string>

#include "chat/v1/chat.pb.h"
#include "roomd/core/identity.h"

namespace roomd::testing {

inline chat::v1::User UserFor(const std::string& email) { return *MakeUser(email, ""); }

}  // namespace roomd::testing
