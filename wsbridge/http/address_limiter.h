#pragma once

// Counts the open connections of each client IP address, so one address cannot take all
// of the bridge's sockets. Thread-safe. Lifetime: shared by the listener and every Slot it
// handed out, so a connection that outlives the listener still releases its count.

#include <cstddef>
#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "common/mutex.h"

namespace wsbridge {

class AddressLimiter : public std::enable_shared_from_this<AddressLimiter> {
 public:
  // One counted connection; destroying it gives the count back.
  class Slot {
   public:
    Slot(std::shared_ptr<AddressLimiter> limiter, std::string address)
        : limiter_(std::move(limiter)), address_(std::move(address)) {}
    Slot(const Slot&) = delete;
    Slot& operator=(const Slot&) = delete;
    ~Slot() { limiter_->Release(address_); }

   private:
    const std::shared_ptr<AddressLimiter> limiter_;
    const std::string address_;
  };

  // `max_per_address` 0 means no limit.
  static std::shared_ptr<AddressLimiter> Create(std::size_t max_per_address);

  // A slot for one more connection from `address`, or nullptr when it already has the
  // maximum.
  std::shared_ptr<const Slot> TryAcquire(const std::string& address);

  std::size_t max_per_address() const { return max_per_address_; }
  std::size_t CountFor(const std::string& address) const;

 private:
  explicit AddressLimiter(std::size_t max_per_address) : max_per_address_(max_per_address) {}
  void Release(const std::string& address);

  const std::size_t max_per_address_;
  mutable chat::Mutex mu_;
  absl::flat_hash_map<std::string, std::size_t> counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wsbridge
