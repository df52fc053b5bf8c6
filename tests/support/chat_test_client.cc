#include "tests/support/chat_test_client.h"

#include "absl/time/clock.h"

namespace roomd::testing {

ChatTestClient::ChatTestClient(const std::shared_ptr<grpc::Channel>& channel, bool read,
                               const Metadata& metadata)
    : stub_(chat::v1::ChatService::NewStub(channel)),
      stream_(stub_->Chat(WithMetadata(&context_, metadata))) {
  if (read) {
    StartReading();
  }
}

ChatTestClient::~ChatTestClient() {
  context_.TryCancel();
  StartReading();  // Finish must run, and only the reader may call it
  reader_.join();
}

void ChatTestClient::StartReading() {
  if (!reader_.joinable()) {
    reader_ = std::thread([this] { ReadLoop(); });
  }
}

void ChatTestClient::ReadLoop() {
  chat::v1::ServerEvent event;
  while (stream_->Read(&event)) {
    chat::MutexLock lock(&mu_);
    if (event.has_batch()) {
      ++batches_;
      for (const chat::v1::ServerEvent& inner : event.batch().events()) {
        events_.push_back(inner);
      }
    } else {
      events_.push_back(event);
    }
    cv_.SignalAll();
  }
  grpc::Status status = stream_->Finish();
  chat::MutexLock lock(&mu_);
  status_ = status;
  done_ = true;
  cv_.SignalAll();
}

bool ChatTestClient::Write(const chat::v1::ClientEvent& event) { return stream_->Write(event); }

bool ChatTestClient::Join(const std::string& room, const std::string& email,
                          const std::string& name, uint64_t after_seq) {
  chat::v1::ClientEvent event;
  event.mutable_join()->set_room(room);
  event.mutable_join()->set_email(email);
  event.mutable_join()->set_name(name);
  event.mutable_join()->set_after_seq(after_seq);
  return Write(event);
}

bool ChatTestClient::Send(const std::string& text, const std::string& client_id) {
  chat::v1::ClientEvent event;
  event.mutable_send()->set_text(text);
  event.mutable_send()->set_client_id(client_id);
  return Write(event);
}

bool ChatTestClient::Typing(bool active) {
  chat::v1::ClientEvent event;
  event.mutable_typing()->set_active(active);
  return Write(event);
}

bool ChatTestClient::Leave() {
  chat::v1::ClientEvent event;
  event.mutable_leave();
  return Write(event);
}

bool ChatTestClient::Refresh(const std::string& token) {
  chat::v1::ClientEvent event;
  event.mutable_refresh()->set_token(token);
  return Write(event);
}

void ChatTestClient::WritesDone() { stream_->WritesDone(); }

void ChatTestClient::Cancel() { context_.TryCancel(); }

std::optional<chat::v1::ServerEvent> ChatTestClient::WaitFor(const Predicate& predicate,
                                                             absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  chat::MutexLock lock(&mu_);
  while (true) {
    while (consumed_ < events_.size()) {
      const chat::v1::ServerEvent& event = events_[consumed_++];
      if (predicate(event)) {
        return event;
      }
    }
    const absl::Time now = absl::Now();
    if (done_ || now >= deadline) {
      return std::nullopt;
    }
    cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(deadline - now));
  }
}

std::optional<chat::v1::ServerEvent> ChatTestClient::Next(absl::Duration timeout) {
  return WaitFor([](const chat::v1::ServerEvent&) { return true; }, timeout);
}

std::optional<chat::v1::ServerEvent> ChatTestClient::WaitForWelcome() { return WaitFor(IsWelcome()); }

grpc::Status ChatTestClient::WaitForFinish(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  chat::MutexLock lock(&mu_);
  while (!done_) {
    const absl::Time now = absl::Now();
    if (now >= deadline) {
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, "test: stream did not end");
    }
    cv_.WaitFor(&mu_, absl::ToChronoNanoseconds(deadline - now));
  }
  return status_;
}

std::vector<chat::v1::ServerEvent> ChatTestClient::events() {
  chat::MutexLock lock(&mu_);
  return events_;
}

int ChatTestClient::batches_received() {
  chat::MutexLock lock(&mu_);
  return batches_;
}

ChatTestClient::Predicate IsWelcome() {
  return [](const chat::v1::ServerEvent& e) { return e.has_welcome(); };
}
ChatTestClient::Predicate IsMessage(const std::string& text) {
  return [text](const chat::v1::ServerEvent& e) {
    return e.has_message() && e.message().text() == text;
  };
}
std::vector<chat::v1::ChatMessage> MessagesWithText(
    const std::vector<chat::v1::ServerEvent>& events, const std::string& text) {
  const ChatTestClient::Predicate is_text = IsMessage(text);
  std::vector<chat::v1::ChatMessage> messages;
  for (const chat::v1::ServerEvent& event : events) {
    if (is_text(event)) {
      messages.push_back(event.message());
    }
  }
  return messages;
}
ChatTestClient::Predicate IsJoined(const std::string& name) {
  return [name](const chat::v1::ServerEvent& e) {
    return e.has_presence() && e.presence().joined().name() == name;
  };
}
ChatTestClient::Predicate IsLeft(const std::string& name) {
  return [name](const chat::v1::ServerEvent& e) {
    return e.has_presence() && e.presence().left().name() == name;
  };
}
ChatTestClient::Predicate IsError(const std::string& code) {
  return [code](const chat::v1::ServerEvent& e) { return e.has_error() && e.error().code() == code; };
}

}  // namespace roomd::testing
