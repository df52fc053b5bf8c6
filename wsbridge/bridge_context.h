#pragma once

// What every session needs from the server; BridgeServer owns all of it and outlives
// every session.

#include <memory>

#include <boost/asio/ssl/context.hpp>

#include "wsbridge/bridge_options.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/http/address_limiter.h"
#include "wsbridge/http/origin_policy.h"
#include "wsbridge/http/static_files.h"
#include "wsbridge/live_set.h"
#include "wsbridge/roomd_link/roomd_client.h"
#include "wsbridge/tls/server_tls.h"

namespace wsbridge {

class WebSocketSession;

struct BridgeContext {
  const BridgeOptions* options;
  const JsonCodec* codec;
  const OriginPolicy* origins;
  const StaticFiles* files;
  RoomdClient* roomd;
  LiveSet<WebSocketSession>* sessions;
  // https and wss (--tls_cert_file); null: plain http and ws.
  const ServerTls* tls = nullptr;
  // Set per connection by the listener: this connection's count for its address, held by
  // every copy of the context (HTTP session, then WebSocket session) until the last ends.
  std::shared_ptr<const AddressLimiter::Slot> address_slot = nullptr;
  // Set per connection with `tls`: the certificate it was accepted with, kept alive by the
  // connection however often the certificate is reloaded meanwhile.
  std::shared_ptr<boost::asio::ssl::context> tls_context = nullptr;
};

}  // namespace wsbridge
