#include "wsbridge/http/address_limiter.h"

namespace wsbridge {

std::shared_ptr<AddressLimiter> AddressLimiter::Create(std::size_t max_per_address) {
  return std::shared_ptr<AddressLimiter>(new AddressLimiter(max_per_address));
}

std::shared_ptr<const AddressLimiter::Slot> AddressLimiter::TryAcquire(
    const std::string& address) {
  {
    chat::MutexLock lock(&mu_);
    std::size_t& count = counts_[address];
    if (max_per_address_ != 0 && count >= max_per_address_) {
      if (count == 0) {
        counts_.erase(address);
      }
      return nullptr;
    }
    ++count;
  }
  return std::make_shared<const Slot>(shared_from_this(), address);
}

std::size_t AddressLimiter::CountFor(const std::string& address) const {
  chat::MutexLock lock(&mu_);
  auto it = counts_.find(address);
  return it == counts_.end() ? 0 : it->second;
}

void AddressLimiter::Release(const std::string& address) {
  chat::MutexLock lock(&mu_);
  auto it = counts_.find(address);
  if (it != counts_.end() && --it->second == 0) {
    counts_.erase(it);
  }
}

}  // namespace wsbridge
