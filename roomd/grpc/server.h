#pragma once

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/mutex.h"
#include "roomd/auth/authenticator.h"
#include "roomd/broker/broker.h"
#include "roomd/core/room_registry.h"
#include "roomd/core/server_options.h"
#include "roomd/core/timer.h"
#include "roomd/grpc/chat_service.h"
#include "roomd/grpc/session_tracker.h"

namespace roomd {

// A running roomd: the gRPC server with ChatService, health and reflection, and the state
// behind it (rooms, sessions, and the broker that shares rooms with other nodes, if any). Tests and other components start one in-process on "127.0.0.1:0".
// Lifetime: Shutdown() (or the destructor) ends every stream UNAVAILABLE and stops serving.
class RoomServer {
 public:
  // Checks `options` and starts listening on options.listen.
  static absl::StatusOr<std::unique_ptr<RoomServer>> Start(const ServerOptions& options);

  ~RoomServer();
  RoomServer(const RoomServer&) = delete;
  RoomServer& operator=(const RoomServer&) = delete;

  // The bound port (useful with port 0).
  int port() const { return port_; }
  // "host:port" to dial, with the bound port.
  std::string address() const;

  // Stops accepting, ends open streams UNAVAILABLE "server shutting down", waits up to
  // options.shutdown_grace for them to end, then cancels what is left. Idempotent; blocks.
  void Shutdown();

  // Open Chat streams (tests).
  size_t session_count() const { return sessions_.size(); }
  // Waits until at most `count` streams are open; false on timeout (tests).
  bool WaitForSessionsAtMost(size_t count, absl::Duration timeout) {
    return sessions_.WaitForAtMost(count, timeout);
  }
  RoomRegistry& rooms() { return rooms_; }

  // SIGHUP: re-reads the JWT key and the relay secret; live sessions stay. On failure the
  // old keys stay in use.
  absl::Status ReloadKeys() { return auth_->Reload(); }
  // Waits until the broker is reachable (always true for memory); false on timeout (tests).
  bool WaitForBroker(absl::Duration timeout) { return broker_->WaitUntilAvailable(timeout); }
  // The history store, or null (tests).
  MessageStore* store() { return store_.get(); }

 private:
  RoomServer(const ServerOptions& options, std::unique_ptr<MessageStore> store,
             std::unique_ptr<Broker> broker, std::unique_ptr<auth::Authenticator> auth);

  const ServerOptions options_;
  Timer timer_;
  // Null for --store=memory. Rooms and the broker use it; its writer is stopped in Shutdown.
  const std::unique_ptr<MessageStore> store_;
  // Declared before what uses it: rooms hold links into it until they are destroyed.
  const std::unique_ptr<Broker> broker_;
  RoomRegistry rooms_;
  SessionTracker sessions_;
  const std::unique_ptr<auth::Authenticator> auth_;
  ChatService service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  chat::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
};

// Checks that every option is in range.
absl::Status ValidateOptions(const ServerOptions& options);

}  // namespace roomd
