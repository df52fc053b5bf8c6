#pragma once

// The receiving half of one client, and its link to its own Sender: counts every message by
// sender and seq (loss, order), times the ones that arrive inside the measured interval,
// acknowledges deliveries, and tracks the room's presence until the client has seen every
// member. Its transport calls the On* methods one at a time (never concurrently); the
// runner reads the results only after the transports stopped.
// Lifetime: owned by the runner; outlives its transport.

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "bench/ack_table.h"
#include "bench/bench_options.h"
#include "bench/latency_histogram.h"
#include "bench/run_state.h"
#include "bench/sender.h"

namespace bench {

struct ReceiveStats {
  uint64_t received = 0;             // benchmark messages, all phases
  uint64_t deliveries_measured = 0;  // received inside the measured interval
  uint64_t out_of_order = 0;         // a seq lower than one already seen from its sender
  uint64_t foreign = 0;              // chat messages that are not benchmark payloads
  uint64_t errors = 0;               // Error events
  std::vector<uint64_t> from_sender;  // messages received per sender index
};

class Participant {
 public:
  Participant(int index, int room, const BenchOptions& options, RunState* run, AckTable* acks);
  Participant(const Participant&) = delete;
  Participant& operator=(const Participant&) = delete;

  int index() const { return index_; }
  int room() const { return room_; }
  // "u<index>@example.com": one distinct user per client.
  std::string Email() const;
  // This client's sender, or null when it only receives.
  Sender* sender() const { return sender_.get(); }
  void set_sender(std::unique_ptr<Sender> sender) { sender_ = std::move(sender); }

  // Called by the transport, one at a time. `now_ns` is when the frame was read (or, for
  // the join, written).
  void OnJoinSent(int64_t now_ns) { join_sent_ns_ = now_ns; }
  // `online`: the room's count (Welcome.online_count; the list's length from an older server).
  void OnWelcome(std::size_t online, int64_t now_ns);
  void OnPresence(uint32_t online_count);
  void OnChatText(absl::string_view text, int64_t now_ns);
  void OnError(absl::string_view code, absl::string_view message, absl::string_view client_id);
  // The connection is over; `why` says how. Before the welcome it is a connect error,
  // after it (unless the tool is closing) a drop.
  void OnEnded(absl::string_view why);

  // Any thread (the runner polls these).
  bool welcomed() const { return welcomed_.load(std::memory_order_acquire); }
  bool ended() const { return ended_.load(std::memory_order_acquire); }
  bool dropped() const { return dropped_.load(std::memory_order_acquire); }
  uint32_t max_online() const { return max_online_.load(std::memory_order_relaxed); }
  // Benchmark messages received so far (stats().received, readable while the run goes on).
  uint64_t received() const { return received_.load(std::memory_order_relaxed); }
  // The room's count as the latest Welcome or Presence gave it.
  uint32_t last_online() const { return last_online_.load(std::memory_order_relaxed); }
  // The tool is closing this client on purpose (churn): its end is no drop.
  void set_leaving() { leaving_.store(true, std::memory_order_release); }

  // Only after the transport stopped.
  const ReceiveStats& stats() const { return stats_; }
  const LatencyHistogram* latency() const { return latency_.get(); }
  const std::string& end_reason() const { return end_reason_; }
  const std::string& first_error() const { return first_error_; }
  // From the join written to the Welcome read; -1 without a Welcome.
  int64_t welcome_ns() const { return welcome_ns_; }

 private:
  void SeeOnline(uint32_t online);

  const int index_;
  const int room_;
  const BenchOptions& options_;
  RunState* const run_;
  AckTable* const acks_;
  std::unique_ptr<Sender> sender_;

  std::atomic<bool> welcomed_{false};
  std::atomic<bool> ended_{false};
  std::atomic<bool> dropped_{false};
  std::atomic<uint32_t> max_online_{0};
  std::atomic<uint64_t> received_{0};
  std::atomic<uint32_t> last_online_{0};
  std::atomic<bool> leaving_{false};

  ReceiveStats stats_;
  std::vector<uint64_t> next_seq_;  // per sender: the seq expected next
  std::unique_ptr<LatencyHistogram> latency_;  // allocated on the first timed delivery
  std::string end_reason_;
  std::string first_error_;
  int64_t join_sent_ns_ = 0;
  int64_t welcome_ns_ = -1;
};

}  // namespace bench
