#pragma once

// The whole bridge in one object: the io threads, the listener, the roomd
// client and the live sessions. main.cc and the tests drive it the same way.
// Lifetime: owns everything it starts; Wait() (or the destructor) stops and joins it all.

#include <memory>
#include <thread>
#include <vector>


#include "absl/status/status.h"
#include "common/mutex.h"
#include "wsbridge/bridge_context.h"
#include "wsbridge/bridge_options.h"
#include "wsbridge/codec/json_codec.h"
#include "wsbridge/http/listener.h"
#include "wsbridge/http/origin_policy.h"
#include "wsbridge/http/static_files.h"
#include "wsbridge/io_threads.h"
#include "wsbridge/live_set.h"
#include "wsbridge/roomd_link/roomd_client.h"
#include "wsbridge/tls/server_tls.h"

namespace wsbridge {

class WebSocketSession;

class BridgeServer {
 public:
  explicit BridgeServer(BridgeOptions options);
  ~BridgeServer();
  BridgeServer(const BridgeServer&) = delete;
  BridgeServer& operator=(const BridgeServer&) = delete;

  // Binds --listen and starts the threads.
  absl::Status Start();

  // The bound port (useful with port 0).
  int port() const { return port_; }

  // Any thread (SIGHUP): reads --tls_cert_file and --tls_key_file again for the
  // connections accepted from now on; open ones keep theirs. On error the old ones stay.
  absl::Status ReloadTls();
  bool tls() const { return tls_ != nullptr; }

  // Any thread, never blocks: stops accepting and closes every browser with 1001.
  void BeginShutdown();

  // Blocks until BeginShutdown() was called, the browsers are closed (or
  // --shutdown_timeout passed) and the threads are joined.
  void Wait();

  // BeginShutdown() then Wait().
  void Shutdown();

  std::size_t session_count() const { return sessions_.size(); }
  RoomdClient& roomd() { return roomd_; }

 private:
  const BridgeOptions options_;
  const JsonCodec codec_{};
  const OriginPolicy origins_;
  const StaticFiles files_;
  RoomdClient roomd_;
  LiveSet<WebSocketSession> sessions_;
  const std::unique_ptr<ServerTls> tls_;  // null: plain http
  const BridgeContext context_;

  // Declared after everything sessions use, so queued handlers die first.
  IoThreads io_;
  std::shared_ptr<Listener> listener_;
  int port_ = 0;

  chat::Mutex mu_;
  chat::CondVar shutdown_requested_cv_;
  bool shutdown_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace wsbridge
