#pragma once

// What every session needs from the server; BridgeServer owns all of it and outlives
// every session.

#include <memory>

#include "wsbridge/bridge_options.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/http/address_limiter.h"
#include "wsbridge/http/origin_policy.h"
#include "wsbridge/http/static_files.h"
#include "wsbridge/live_set.h"
#include "wsbridge/roomd_link/roomd_client.h"

namespace wsbridge {

class WebSocketSession;

struct BridgeContext {
  const BridgeOptions* options;
  const JsonCodec* codec;
  const OriginPolicy* origins;
  const StaticFiles* files;
  RoomdClient* roomd;
  LiveSet<WebSocketSession>* sessions;
  // Set per connection by the listener: this connection's count for its address, held by
  // every copy of the context (HTTP session, then WebSocket session) until the last ends.
  std::shared_ptr<const AddressLimiter::Slot> address_slot = nullptr;
};

}  // namespace wsbridge
