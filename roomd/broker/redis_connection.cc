#include "roomd/broker/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "roomd/broker/redis_loop.h"

namespace roomd {
namespace {

RedisConnection* Owner(const redisAsyncContext* context) {
  return static_cast<RedisConnection*>(context->data);
}

}  // namespace

RedisConnection::RedisConnection(RedisLoop* loop, Handlers handlers)
    : loop_(loop), handlers_(std::move(handlers)) {}

RedisConnection::~RedisConnection() { Close(); }

absl::Status RedisConnection::Connect(const std::string& host, int port) {
  Close();
  redisAsyncContext* context = redisAsyncConnect(host.c_str(), port);
  if (context == nullptr) {
    return absl::ResourceExhaustedError("cannot allocate a Redis connection");
  }
  if (context->err != 0) {
    absl::Status status = absl::UnavailableError(
        absl::StrCat("cannot connect to ", host, ":", port, ": ", context->errstr));
    redisAsyncFree(context);
    return status;
  }
  context_ = context;
  connected_ = false;
  wants_read_ = false;
  wants_write_ = false;
  sent_.clear();
  connect_started_ = absl::Now();
  context->data = this;
  context->ev.data = this;
  context->ev.addRead = &AddRead;
  context->ev.delRead = &DelRead;
  context->ev.addWrite = &AddWrite;
  context->ev.delWrite = &DelWrite;
  context->ev.cleanup = &Cleanup;
  redisAsyncSetDisconnectCallback(context, &OnDisconnect);
  // Also asks for the first write event, which tells the connect finished.
  redisAsyncSetConnectCallback(context, &OnConnect);
  loop_->Watch(this);
  return absl::OkStatus();
}

bool RedisConnection::Command(const std::vector<std::string>& args, ReplyCallback callback) {
  if (context_ == nullptr) {
    return false;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto pending = std::make_unique<ReplyCallback>(std::move(callback));
  if (redisAsyncCommandArgv(context_, &OnReply, pending.get(), static_cast<int>(argv.size()),
                            argv.data(), lengths.data()) != REDIS_OK) {
    return false;
  }
  pending.release();  // owned by hiredis until OnReply
  sent_.push_back(absl::Now());
  return true;
}

bool RedisConnection::SubscribeCommand(const std::vector<std::string>& args) {
  if (context_ == nullptr) {
    return false;
  }
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  return redisAsyncCommandArgv(context_, &OnPush, nullptr, static_cast<int>(argv.size()),
                               argv.data(), lengths.data()) == REDIS_OK;
}

void RedisConnection::Close() {
  if (context_ == nullptr) {
    return;
  }
  redisAsyncContext* context = context_;
  context_ = nullptr;  // first, so callbacks run by the free see a closed connection
  connected_ = false;
  sent_.clear();
  redisAsyncFree(context);
}

absl::Time RedisConnection::oldest_pending() const {
  return sent_.empty() ? absl::InfiniteFuture() : sent_.front();
}

int RedisConnection::fd() const { return context_ == nullptr ? -1 : context_->c.fd; }

void RedisConnection::HandleRead() {
  if (context_ != nullptr) {
    redisAsyncHandleRead(context_);
    if (handlers_.on_read_done) {
      handlers_.on_read_done();
    }
  }
}

void RedisConnection::HandleWrite() {
  if (context_ != nullptr) {
    redisAsyncHandleWrite(context_);
  }
}

void RedisConnection::Lost(const redisAsyncContext* context, const std::string& why) {
  if (context != context_) {
    return;  // an earlier context, already closed on purpose
  }
  context_ = nullptr;
  connected_ = false;
  sent_.clear();
  if (handlers_.on_closed) {
    handlers_.on_closed(why);
  }
}

void RedisConnection::OnConnect(const redisAsyncContext* context, int status) {
  RedisConnection* self = Owner(context);
  if (context != self->context_) {
    return;
  }
  if (status != REDIS_OK) {
    // hiredis frees the context after this returns.
    self->Lost(context, context->errstr != nullptr ? context->errstr : "connect failed");
    return;
  }
  self->connected_ = true;
  if (self->handlers_.on_connected) {
    self->handlers_.on_connected();
  }
}

void RedisConnection::OnDisconnect(const redisAsyncContext* context, int /*status*/) {
  Owner(context)->Lost(context, context->errstr != nullptr && context->err != 0
                                    ? context->errstr
                                    : "connection closed by the server");
}

void RedisConnection::OnReply(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<ReplyCallback> callback(static_cast<ReplyCallback*>(privdata));
  RedisConnection* self = Owner(context);
  if (context == self->context_ && !self->sent_.empty()) {
    self->sent_.pop_front();
  }
  (*callback)(static_cast<redisReply*>(reply));
}

void RedisConnection::OnPush(redisAsyncContext* context, void* reply, void* /*privdata*/) {
  RedisConnection* self = Owner(context);
  if (reply != nullptr && context == self->context_ && self->handlers_.on_push) {
    self->handlers_.on_push(static_cast<redisReply*>(reply));
  }
}

void RedisConnection::AddRead(void* privdata) {
  static_cast<RedisConnection*>(privdata)->wants_read_ = true;
}

void RedisConnection::DelRead(void* privdata) {
  static_cast<RedisConnection*>(privdata)->wants_read_ = false;
}

void RedisConnection::AddWrite(void* privdata) {
  static_cast<RedisConnection*>(privdata)->wants_write_ = true;
}

void RedisConnection::DelWrite(void* privdata) {
  static_cast<RedisConnection*>(privdata)->wants_write_ = false;
}

void RedisConnection::Cleanup(void* /*privdata*/) {
  // Nothing to release: the loop polls a connection only while it has a context.
}

}  // namespace roomd
