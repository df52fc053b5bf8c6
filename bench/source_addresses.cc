#include "bench/source_addresses.h"

#include <algorithm>

#include <boost/asio/ip/address_v4.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace bench {
namespace {

constexpr uint32_t kLoopbackNet = 127u << 24;
constexpr uint32_t kLoopbackMask = 0xff000000u;
// At most this many addresses (a /16's worth): far more than one process can use.
constexpr int kMaxSourceAddresses = 1 << 16;

bool ParseLoopback(absl::string_view text, uint32_t* address) {
  boost::system::error_code ec;
  const auto parsed = boost::asio::ip::make_address_v4(std::string(text), ec);
  if (ec) {
    return false;
  }
  *address = parsed.to_uint();
  return (*address & kLoopbackMask) == kLoopbackNet;
}

}  // namespace

absl::Status ParseSourceAddresses(absl::string_view text, BenchOptions* options) {
  const auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("--source_addresses ", text, ": ", why,
                     " (want -1, a count, or a range such as 127.0.0.2-127.0.0.9)"));
  };
  if (const std::size_t dash = text.find('-'); dash != absl::string_view::npos && dash > 0) {
    uint32_t first = 0;
    uint32_t last = 0;
    if (!ParseLoopback(text.substr(0, dash), &first) ||
        !ParseLoopback(text.substr(dash + 1), &last)) {
      return bad("both ends must be IPv4 addresses in 127.0.0.0/8");
    }
    if (last < first || last - first >= static_cast<uint32_t>(kMaxSourceAddresses)) {
      return bad(absl::StrCat("the range must go up and hold at most ", kMaxSourceAddresses,
                              " addresses"));
    }
    options->first_source_address = first;
    options->source_addresses = static_cast<int>(last - first + 1);
    return absl::OkStatus();
  }
  int count = 0;
  if (!absl::SimpleAtoi(text, &count) || count < BenchOptions::kAutoSourceAddresses ||
      count > kMaxSourceAddresses) {
    return bad("not a count");
  }
  options->first_source_address = BenchOptions::kFirstSourceAddress;
  options->source_addresses = count;
  return absl::OkStatus();
}

std::vector<uint32_t> SourceAddresses(const BenchOptions& options) {
  int count = options.source_addresses;
  uint32_t first = options.first_source_address;
  if (count == BenchOptions::kAutoSourceAddresses) {
    // Churn's joiners connect before its leavers are gone: count them too.
    const int needed = (options.clients + options.churn +
                        BenchOptions::kClientsPerSourceAddress - 1) /
                       BenchOptions::kClientsPerSourceAddress;
    count = std::clamp(needed, 4, kMaxSourceAddresses);
    // Each shard has addresses of its own, so no address carries more than its share.
    first = BenchOptions::kFirstSourceAddress + static_cast<uint32_t>(options.shard * count);
  }
  std::vector<uint32_t> addresses;
  for (int k = 0; k < count; ++k) {
    const uint32_t address = first + static_cast<uint32_t>(k);
    if ((address & kLoopbackMask) != kLoopbackNet) {
      break;  // never past 127.255.255.255
    }
    addresses.push_back(address);
  }
  return addresses;
}

}  // namespace bench
