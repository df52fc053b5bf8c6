#include "bench/sender.h"

#include <algorithm>
#include <chrono>
#include <string>

#include <boost/asio/post.hpp>

#include "absl/strings/str_cat.h"
#include "bench/payload.h"

namespace bench {
namespace {

namespace net = boost::asio;

// How often the oldest unacknowledged message is checked against --ack_timeout.
constexpr std::chrono::milliseconds kCheckInterval{100};

}  // namespace

Sender::Sender(int index, int room, const BenchOptions& options, RunState* run, AckTable* acks,
               net::io_context::executor_type executor)
    : index_(index),
      room_(room),
      options_(options),
      run_(run),
      acks_(acks),
      executor_(executor),
      rate_timer_(executor),
      check_timer_(executor) {}

void Sender::Start(int64_t phase_ns) {
  net::post(executor_, [this, phase_ns] { DoStart(phase_ns); });
}

void Sender::Stop() {
  net::post(executor_, [this] { DoStop(); });
}

void Sender::Disconnected() {
  net::post(executor_, [this] {
    DoStop();
    for (Pending& entry : pending_) {
      if (!entry.done) {
        GiveUp(&entry);
      }
    }
    PopDone();
  });
}

void Sender::Acked(uint64_t seq) {
  net::post(executor_, [this, seq] { Finish(seq, /*rejected=*/false); });
}

void Sender::Rejected(uint64_t seq) {
  net::post(executor_, [this, seq] { Finish(seq, /*rejected=*/true); });
}

void Sender::DoStart(int64_t phase_ns) {
  if (sending_ || transport_ == nullptr) {
    return;
  }
  sending_ = true;
  ArmCheckTimer();
  if (options_.rate > 0) {
    period_ns_ = std::max<int64_t>(1, static_cast<int64_t>(1e9 / options_.rate));
    next_due_ns_ = NowNanos() + phase_ns % period_ns_;
    ArmRateTimer();
    return;
  }
  TrySend();
}

void Sender::DoStop() {
  sending_ = false;
  owed_ = 0;
  rate_timer_.cancel();
  // The check timer keeps running while messages are pending so the drain ends.
}

void Sender::Finish(uint64_t seq, bool rejected) {
  for (Pending& entry : pending_) {
    if (entry.seq == seq && !entry.done) {
      entry.done = true;
      --in_flight_;
      run_->outstanding().fetch_sub(1, std::memory_order_relaxed);
      if (rejected) {
        ++stats_.rejected;
        if (options_.ack == AckMode::kAll) {
          acks_->Abandon(index_, seq);
        }
      } else {
        ++stats_.acked;
      }
      break;
    }
  }
  PopDone();
  TrySend();
}

void Sender::PopDone() {
  while (!pending_.empty() && pending_.front().done) {
    pending_.pop_front();
  }
}

bool Sender::WindowOpen() const {
  // The window spans seqs, not a count: the oldest unacknowledged message and the next one
  // stay less than a window apart, so each in-flight seq owns its AckTable slot.
  return pending_.empty() ||
         next_seq_ - pending_.front().seq < static_cast<uint64_t>(options_.window);
}

void Sender::TrySend() {
  while (sending_ && WindowOpen() && (period_ns_ == 0 || owed_ > 0)) {
    if (owed_ > 0) {
      --owed_;
    }
    SendOne();
  }
}

void Sender::SendOne() {
  const uint64_t seq = next_seq_++;
  const int64_t now = NowNanos();
  if (options_.ack == AckMode::kAll) {
    const int receivers = run_->room_live(room_).load(std::memory_order_relaxed);
    acks_->Arm(index_, seq, static_cast<uint32_t>(std::max(receivers, 1)));
  }
  pending_.push_back(Pending{seq, now, false});
  ++in_flight_;
  run_->outstanding().fetch_add(1, std::memory_order_relaxed);
  ++stats_.sent;
  if (run_->Measuring(now)) {
    ++stats_.sent_measured;
  }
  transport_->SendMessage(
      FormatPayload(Payload{static_cast<uint32_t>(index_), seq, now}, options_.text_bytes),
      absl::StrCat(seq));
}

void Sender::ArmRateTimer() {
  rate_timer_.expires_at(std::chrono::steady_clock::time_point(
      std::chrono::nanoseconds(next_due_ns_)));
  rate_timer_.async_wait([this](const boost::system::error_code& ec) { OnRateTimer(ec); });
}

void Sender::OnRateTimer(const boost::system::error_code& ec) {
  if (ec || !sending_) {
    return;
  }
  const int64_t now = NowNanos();
  while (next_due_ns_ <= now) {
    next_due_ns_ += period_ns_;
    // A full window defers the send; more than a window of debt is skipped, not bunched.
    if (owed_ < static_cast<uint64_t>(options_.window)) {
      ++owed_;
    } else {
      ++stats_.rate_missed;
    }
  }
  TrySend();
  ArmRateTimer();
}

void Sender::GiveUp(Pending* entry) {
  entry->done = true;
  --in_flight_;
  run_->outstanding().fetch_sub(1, std::memory_order_relaxed);
  ++stats_.ack_timeouts;
  if (options_.ack == AckMode::kAll) {
    acks_->Abandon(index_, entry->seq);
  }
}

void Sender::ArmCheckTimer() {
  check_timer_.expires_after(kCheckInterval);
  check_timer_.async_wait([this](const boost::system::error_code& ec) { OnCheckTimer(ec); });
}

void Sender::OnCheckTimer(const boost::system::error_code& ec) {
  if (ec) {
    return;
  }
  const int64_t deadline = NowNanos() - absl::ToInt64Nanoseconds(options_.ack_timeout);
  bool freed = false;
  for (Pending& entry : pending_) {
    if (entry.sent_ns > deadline) {
      break;
    }
    if (!entry.done) {
      GiveUp(&entry);
      freed = true;
    }
  }
  if (freed) {
    PopDone();
    TrySend();
  }
  if (sending_ || in_flight_ > 0) {
    ArmCheckTimer();
  }
}

}  // namespace bench
