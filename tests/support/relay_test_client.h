#pragma once

// A Relay call (the gateway protocol) for tests: writes items, and a reader thread files
// every chat::v1::ServerEvent (batches unpacked) and final status under each session the
// item names (`session` and `more_sessions`).

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chat/v1/chat.grpc.pb.h"
#include "tests/support/chat_test_client.h"

namespace roomd::testing {

class RelayTestClient {
 public:
  // With `read` false nothing is read until StartReading() (a bridge that stopped
  // reading, for slow-consumer tests).
  explicit RelayTestClient(chat::v1::ChatService::Stub* stub,
                           const ChatTestClient::Metadata& metadata = {}, bool read = true)
      : stream_(stub->Relay(WithMetadata(&context_, metadata))) {
    if (read) {
      StartReading();
    }
  }
  ~RelayTestClient() {
    context_.TryCancel();
    if (reader_.joinable()) {
      reader_.join();
    }
  }
  void StartReading() { reader_ = std::thread([this] { ReadLoop(); }); }

  bool Write(const chat::v1::RelayUp& up) { return stream_->Write(up); }
  bool Send(uint64_t session, const chat::v1::ClientEvent& event) {
    chat::v1::RelayUp up;
    auto* item = up.add_items();
    item->set_session(session);
    *item->mutable_event() = event;
    return stream_->Write(up);
  }
  bool Join(uint64_t session, const std::string& room, const std::string& email) {
    chat::v1::ClientEvent event;
    event.mutable_join()->set_room(room);
    event.mutable_join()->set_email(email);
    return Send(session, event);
  }
  bool Say(uint64_t session, const std::string& text) {
    chat::v1::ClientEvent event;
    event.mutable_send()->set_text(text);
    return Send(session, event);
  }
  bool Close(uint64_t session) {
    chat::v1::RelayUp up;
    auto* item = up.add_items();
    item->set_session(session);
    item->set_close(true);
    return stream_->Write(up);
  }
  void WritesDone() { stream_->WritesDone(); }

  // The next event of `session` (batches unpacked) matching `predicate`, skipping others.
  std::optional<chat::v1::ServerEvent> WaitFor(uint64_t session,
                                     const std::function<bool(const chat::v1::ServerEvent&)>& predicate) {
    std::unique_lock lock(mu_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    for (;;) {
      auto& events = events_[session];
      size_t& next = consumed_[session];
      while (next < events.size()) {
        const chat::v1::ServerEvent& event = events[next++];
        if (predicate(event)) {
          return event;
        }
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
        return std::nullopt;
      }
    }
  }
  // Items read so far that named more than one session.
  size_t shared_items() {
    std::lock_guard lock(mu_);
    return shared_items_;
  }
  // The session's final status item.
  std::optional<chat::v1::RelayDownItem> WaitForDone(uint64_t session) {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, std::chrono::seconds(20), [&] { return done_.contains(session); })) {
      return std::nullopt;
    }
    return done_[session];
  }
  grpc::Status WaitForFinish() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return finished_; });
    return status_;
  }

 private:
  void ReadLoop() {
    chat::v1::RelayDown down;
    while (stream_->Read(&down)) {
      std::lock_guard lock(mu_);
      for (const chat::v1::RelayDownItem& item : down.items()) {
        shared_items_ += item.more_sessions_size() > 0 ? 1 : 0;
        std::vector<uint64_t> sessions = {item.session()};
        sessions.insert(sessions.end(), item.more_sessions().begin(), item.more_sessions().end());
        for (uint64_t session : sessions) {
          if (item.has_event()) {
            if (item.event().has_batch()) {
              for (const chat::v1::ServerEvent& inner : item.event().batch().events()) {
                events_[session].push_back(inner);
              }
            } else {
              events_[session].push_back(item.event());
            }
          }
          if (item.done()) {
            done_[session] = item;
          }
        }
      }
      cv_.notify_all();
    }
    grpc::Status status = stream_->Finish();
    std::lock_guard lock(mu_);
    finished_ = true;
    status_ = status;
    cv_.notify_all();
  }

  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<chat::v1::RelayUp, chat::v1::RelayDown>> stream_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, std::vector<chat::v1::ServerEvent>> events_;
  std::map<uint64_t, size_t> consumed_;
  std::map<uint64_t, chat::v1::RelayDownItem> done_;
  size_t shared_items_ = 0;
  bool finished_ = false;
  grpc::Status status_;
  std::thread reader_;  // last: starts once everything above exists
};


}  // namespace roomd::testing
