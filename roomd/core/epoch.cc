#include "roomd/core/epoch.h"

#include <cstdint>
#include <random>

#include "absl/strings/str_cat.h"

namespace roomd {

std::string NewEpoch() {
  // random_device alone: epochs are made once per room, so its cost does not matter, and
  // two roomd processes started at the same instant still differ.
  std::random_device device;
  const uint64_t value = (static_cast<uint64_t>(device()) << 32) ^ device();
  return absl::StrCat(absl::Hex(value, absl::kZeroPad16));
}

}  // namespace roomd
