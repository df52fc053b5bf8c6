#include "bench/participant.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "bench/payload.h"

namespace bench {

Participant::Participant(int index, int room, const BenchOptions& options, RunState* run,
                         AckTable* acks)
    : index_(index), room_(room), options_(options), run_(run), acks_(acks) {
  if (!options.idle && options.senders > 0) {
    stats_.from_sender.assign(static_cast<std::size_t>(options.senders), 0);
    next_seq_.assign(static_cast<std::size_t>(options.senders), 1);
  }
}

std::string Participant::Email() const {
  // Shards of one load are distinct users too.
  return absl::StrCat("u", static_cast<int64_t>(options_.shard) * options_.clients + index_,
                      "@example.com");
}

void Participant::OnWelcome(std::size_t online, int64_t now_ns) {
  SeeOnline(static_cast<uint32_t>(online));
  if (!welcomed_.load(std::memory_order_relaxed)) {
    welcome_ns_ = now_ns - join_sent_ns_;
    welcomed_.store(true, std::memory_order_release);
  }
}

void Participant::OnPresence(uint32_t online_count) { SeeOnline(online_count); }

void Participant::SeeOnline(uint32_t online) {
  last_online_.store(online, std::memory_order_relaxed);
  if (online > max_online_.load(std::memory_order_relaxed)) {
    max_online_.store(online, std::memory_order_relaxed);
  }
}

void Participant::OnChatText(absl::string_view text, int64_t now_ns) {
  const std::optional<Payload> payload = ParsePayload(text);
  if (!payload || payload->sender >= stats_.from_sender.size()) {
    ++stats_.foreign;
    return;
  }
  const uint32_t from = payload->sender;
  ++stats_.received;
  received_.store(stats_.received, std::memory_order_relaxed);  // one writer: this client
  ++stats_.from_sender[from];
  uint64_t& next = next_seq_[from];
  if (payload->seq >= next) {
    next = payload->seq + 1;  // a jump is a rejected or lost message; loss is counted at the end
  } else {
    ++stats_.out_of_order;
  }
  if (run_->Measuring(now_ns)) {
    ++stats_.deliveries_measured;
    if (!latency_) {
      latency_ = std::make_unique<LatencyHistogram>();
    }
    latency_->Record(now_ns - payload->sent_ns);
  }
  Sender* sender = run_->senders()[from];
  if (options_.ack == AckMode::kAll) {
    if (acks_->Deliver(static_cast<int>(from), payload->seq)) {
      sender->Acked(payload->seq);
    }
  } else if (static_cast<int>(from) == index_) {
    sender->Acked(payload->seq);
  }
}

void Participant::OnError(absl::string_view code, absl::string_view message,
                          absl::string_view client_id) {
  ++stats_.errors;
  if (first_error_.empty()) {
    first_error_ = absl::StrCat(code, ": ", message);
  }
  uint64_t seq = 0;
  if (sender_ && !client_id.empty() && absl::SimpleAtoi(client_id, &seq)) {
    sender_->Rejected(seq);
  }
}

void Participant::OnEnded(absl::string_view why) {
  if (ended_.load(std::memory_order_relaxed)) {
    return;
  }
  end_reason_ = std::string(why);
  if (sender_ && !run_->closing()) {
    sender_->Disconnected();  // nothing it sends can arrive any more
  }
  if (welcomed() && !run_->closing() && !leaving_.load(std::memory_order_acquire)) {
    dropped_.store(true, std::memory_order_release);
    run_->room_live(room_).fetch_sub(1, std::memory_order_relaxed);
  }
  ended_.store(true, std::memory_order_release);
}

}  // namespace bench
