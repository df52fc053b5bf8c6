#pragma once

// What every session needs from the server; BridgeServer owns all of it and outlives
// every session.

#include "wsbridge/bridge_options.h"
#include "wsbridge/json_codec.h"
#include "wsbridge/live_set.h"
#include "wsbridge/origin_policy.h"
#include "wsbridge/roomd_client.h"
#include "wsbridge/static_files.h"

namespace wsbridge {

class WebSocketSession;

struct BridgeContext {
  const BridgeOptions* options;
  const JsonCodec* codec;
  const OriginPolicy* origins;
  const StaticFiles* files;
  RoomdClient* roomd;
  LiveSet<WebSocketSession>* sessions;
};

}  // namespace wsbridge
