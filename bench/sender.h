#pragma once

// The sending half of one client: keeps its unacknowledged messages within a --window of
// consecutive seqs (the oldest still unacknowledged and the newest are less than a window
// apart), paces them at --rate (0: as fast as acknowledgements come back), and gives up on a
// message after --ack_timeout. All of its state lives on one executor (one io thread); other threads
// only post to it. Lifetime: owned by the runner; destroyed after the io threads stopped.

#include <cstdint>
#include <deque>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "bench/ack_table.h"
#include "bench/bench_options.h"
#include "bench/run_state.h"
#include "bench/transport.h"

namespace bench {

struct SenderStats {
  uint64_t sent = 0;
  uint64_t sent_measured = 0;  // sent inside the measured interval
  uint64_t acked = 0;
  uint64_t rejected = 0;      // answered with an Error (e.g. rate limit)
  uint64_t ack_timeouts = 0;  // given up: not acknowledged within --ack_timeout, or the
                              // sender's own connection ended
  uint64_t rate_missed = 0;   // paced sends skipped because the window was full
};

class Sender {
 public:
  Sender(int index, int room, const BenchOptions& options, RunState* run, AckTable* acks,
         boost::asio::io_context::executor_type executor);
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Before Start.
  void set_transport(Transport* transport) { transport_ = transport; }

  // Any thread: each only posts to the sender's executor.
  void Start(int64_t phase_ns);  // paced senders begin `phase_ns` into their period
  void Stop();
  // Its connection ended: stop, and give up on every unacknowledged message.
  void Disconnected();
  void Acked(uint64_t seq);
  void Rejected(uint64_t seq);

  // Only after the io threads stopped.
  const SenderStats& stats() const { return stats_; }

 private:
  struct Pending {
    uint64_t seq;
    int64_t sent_ns;
    bool done;
  };

  void DoStart(int64_t phase_ns);
  void DoStop();
  void GiveUp(Pending* entry);
  void Finish(uint64_t seq, bool rejected);
  bool WindowOpen() const;
  void TrySend();
  void SendOne();
  void ArmRateTimer();
  void OnRateTimer(const boost::system::error_code& ec);
  void ArmCheckTimer();
  void OnCheckTimer(const boost::system::error_code& ec);
  void PopDone();

  const int index_;
  const int room_;
  const BenchOptions& options_;
  RunState* const run_;
  AckTable* const acks_;
  const boost::asio::io_context::executor_type executor_;
  Transport* transport_ = nullptr;
  boost::asio::steady_timer rate_timer_;
  boost::asio::steady_timer check_timer_;

  bool sending_ = false;
  uint64_t next_seq_ = 1;
  std::deque<Pending> pending_;
  int in_flight_ = 0;  // pending_ entries not done
  // Paced mode: sends owed by the schedule and the next due time.
  int64_t period_ns_ = 0;
  int64_t next_due_ns_ = 0;
  uint64_t owed_ = 0;
  SenderStats stats_;
};

}  // namespace bench
