#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

struct redisAsyncContext;
struct redisReply;

namespace roomd {

class RedisLoop;

// One hiredis asynchronous connection, driven by a RedisLoop (the event-library adapter is
// the loop's poll(): hiredis tells this object which events it wants, the loop calls
// HandleRead/HandleWrite). Commands are binary-safe argument vectors. When the connection
// breaks, every command still waiting gets a null reply, then `on_closed` runs.
// Loop thread only. Lifetime: owned by its user for as long as the loop runs; Close() (or
// the destructor) frees the hiredis context; Connect() may start again afterwards.
class RedisConnection {
 public:
  // `reply` is null when the connection was lost before the reply came; it is valid only
  // during the call.
  using ReplyCallback = std::function<void(redisReply* reply)>;

  struct Handlers {
    std::function<void()> on_connected;
    // The connection failed or broke by itself (not after Close()).
    std::function<void(const std::string& why)> on_closed;
    // Pub/sub traffic of a subscribing connection: subscribe/unsubscribe acknowledgements
    // and messages, as hiredis parsed them.
    std::function<void(redisReply* reply)> on_push;
    // After each batch of replies read from the socket (work can be coalesced per read).
    std::function<void()> on_read_done;
  };

  RedisConnection(RedisLoop* loop, Handlers handlers);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Starts a non-blocking connect (name resolution may block the loop thread briefly).
  absl::Status Connect(const std::string& host, int port);
  bool connected() const { return context_ != nullptr && connected_; }
  bool open() const { return context_ != nullptr; }

  // Queues a command; false when there is no usable connection (`callback` is dropped).
  bool Command(const std::vector<std::string>& args, ReplyCallback callback);
  // SUBSCRIBE / UNSUBSCRIBE: answered through `on_push`.
  bool SubscribeCommand(const std::vector<std::string>& args);

  // Frees the connection at once; waiting commands get null replies; on_closed is not
  // called. No-op when closed.
  void Close();

  // When the oldest unanswered command was sent (InfiniteFuture if none).
  absl::Time oldest_pending() const;
  // When Connect() started (for a connect timeout).
  absl::Time connect_started() const { return connect_started_; }

  // For the loop.
  int fd() const;
  bool wants_read() const { return context_ != nullptr && wants_read_; }
  bool wants_write() const { return context_ != nullptr && wants_write_; }
  void HandleRead();
  void HandleWrite();

 private:
  struct Pending;

  static void OnConnect(const redisAsyncContext* context, int status);
  static void OnDisconnect(const redisAsyncContext* context, int status);
  static void OnReply(redisAsyncContext* context, void* reply, void* privdata);
  static void OnPush(redisAsyncContext* context, void* reply, void* privdata);
  static void AddRead(void* privdata);
  static void DelRead(void* privdata);
  static void AddWrite(void* privdata);
  static void DelWrite(void* privdata);
  static void Cleanup(void* privdata);

  // The hiredis context is gone by itself: forget it and tell the user.
  void Lost(const redisAsyncContext* context, const std::string& why);

  RedisLoop* const loop_;
  Handlers handlers_;
  redisAsyncContext* context_ = nullptr;
  bool connected_ = false;
  bool wants_read_ = false;
  bool wants_write_ = false;
  absl::Time connect_started_ = absl::InfiniteFuture();
  std::deque<absl::Time> sent_;  // send time of each command awaiting its reply
};

}  // namespace roomd
