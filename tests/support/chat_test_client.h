#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "chat/v1/chat.grpc.pb.h"
#include "common/mutex.h"

namespace roomd::testing {

// One Chat stream for tests. A reader thread collects ServerEvents in arrival order, batches
// flattened into their inner events; tests wait for events with deadlines, never sleeps.
// Lifetime: the destructor cancels the call and joins the reader.
class ChatTestClient {
 public:
  using Predicate = std::function<bool(const chat::v1::ServerEvent&)>;
  using Metadata = std::vector<std::pair<std::string, std::string>>;

  // Opens the stream. With `read` false nothing is read until StartReading() (a client
  // that does not read, for slow-consumer tests).
  // `metadata` goes with the call (e.g. {"authorization", "Bearer <jwt>"}).
  explicit ChatTestClient(const std::shared_ptr<grpc::Channel>& channel, bool read = true,
                          const Metadata& metadata = {});
  ~ChatTestClient();
  ChatTestClient(const ChatTestClient&) = delete;
  ChatTestClient& operator=(const ChatTestClient&) = delete;

  bool Write(const chat::v1::ClientEvent& event);
  bool Join(const std::string& room, const std::string& email, const std::string& name = "",
            uint64_t after_seq = 0);
  bool Send(const std::string& text, const std::string& client_id = "");
  bool Typing(bool active);
  bool Leave();
  bool Refresh(const std::string& token);
  void WritesDone();
  void Cancel();
  void StartReading();

  // The next unconsumed event matching `predicate` (earlier non-matching ones are skipped
  // and consumed), or nullopt after `timeout` or when the stream ended without one.
  std::optional<chat::v1::ServerEvent> WaitFor(const Predicate& predicate,
                                               absl::Duration timeout = absl::Seconds(20));
  // The next unconsumed event, whatever it is.
  std::optional<chat::v1::ServerEvent> Next(absl::Duration timeout = absl::Seconds(20));
  std::optional<chat::v1::ServerEvent> WaitForWelcome();
  // Waits for the stream to end and returns its status (DEADLINE_EXCEEDED on timeout).
  grpc::Status WaitForFinish(absl::Duration timeout = absl::Seconds(20));

  // Every event received so far, and how many writes carried a batch.
  std::vector<chat::v1::ServerEvent> events();
  int batches_received();

 private:
  void ReadLoop();

  grpc::ClientContext context_;
  std::unique_ptr<chat::v1::ChatService::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<chat::v1::ClientEvent, chat::v1::ServerEvent>> stream_;
  std::thread reader_;

  chat::Mutex mu_;
  chat::CondVar cv_;
  std::vector<chat::v1::ServerEvent> events_ ABSL_GUARDED_BY(mu_);
  size_t consumed_ ABSL_GUARDED_BY(mu_) = 0;
  int batches_ ABSL_GUARDED_BY(mu_) = 0;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
};

// Predicates.
ChatTestClient::Predicate IsWelcome();
ChatTestClient::Predicate IsMessage(const std::string& text);
ChatTestClient::Predicate IsJoined(const std::string& name);
ChatTestClient::Predicate IsLeft(const std::string& name);
ChatTestClient::Predicate IsError(const std::string& code);

// The messages among `events` whose text is `text` (the copies a resend must not multiply).
std::vector<chat::v1::ChatMessage> MessagesWithText(
    const std::vector<chat::v1::ServerEvent>& events, const std::string& text);

// Adds `metadata` to a call's context before it starts.
inline grpc::ClientContext* WithMetadata(grpc::ClientContext* context,
                                         const ChatTestClient::Metadata& metadata) {
  for (const auto& [key, value] : metadata) {
    context->AddMetadata(key, value);
  }
  return context;
}

}  // namespace roomd::testing
