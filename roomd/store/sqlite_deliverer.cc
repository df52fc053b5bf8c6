// SqliteStore's deliverer thread: runs the callbacks of committed batches (which deliver the
// messages, and so write to the senders' and the rooms' streams), oldest batch first. The
// writer hands a batch over as soon as it is committed and goes on to the next one, so a
// batch's commit overlaps the last one's delivery instead of waiting behind it.

#include <utility>

#include "roomd/store/sqlite_store.h"

namespace roomd {

void SqliteStore::HandToDeliverer(std::vector<Pending> batch) {
  {
    chat::MutexLock lock(&deliver_mu_);
    // One batch at most waits behind the one being delivered. Under a flood the writer
    // commits faster than rooms can deliver, and handing over batch after batch would pour
    // thousands of messages into a room at once, past its members' outbound limit.
    while (!committed_.empty()) {
      deliver_cv_.Wait(&deliver_mu_);
    }
    committed_.push_back(std::move(batch));
  }
  deliver_cv_.SignalAll();
}

void SqliteStore::WaitDelivered() {
  chat::MutexLock lock(&deliver_mu_);
  while (!committed_.empty() || delivering_) {
    deliver_cv_.Wait(&deliver_mu_);
  }
}

void SqliteStore::DeliverLoop() {
  for (;;) {
    std::vector<Pending> batch;
    {
      chat::MutexLock lock(&deliver_mu_);
      delivering_ = false;
      if (committed_.empty()) {
        deliver_cv_.SignalAll();  // WaitDelivered: everything handed over is delivered
      }
      while (committed_.empty() && !deliver_stop_) {
        deliver_cv_.Wait(&deliver_mu_);
      }
      if (committed_.empty()) {
        return;  // stopping, and the writer (joined first) hands over nothing more
      }
      batch = std::move(committed_.front());
      committed_.pop_front();
      delivering_ = true;
    }
    deliver_cv_.SignalAll();  // HandToDeliverer: room for the next batch
    for (Pending& pending : batch) {
      pending.done(absl::OkStatus());
    }
  }
}

}  // namespace roomd
