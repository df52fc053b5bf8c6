#include "roomd/broker/broker_envelope.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace roomd {

std::string EncodeEnvelope(uint64_t order, absl::string_view node, uint64_t conn,
                           absl::string_view event) {
  return absl::StrCat(order, " ", node, " ", conn, "\n", event);
}

absl::StatusOr<BrokerEnvelope> DecodeEnvelope(absl::string_view frame) {
  const size_t newline = frame.find('\n');
  if (newline == absl::string_view::npos) {
    return absl::InvalidArgumentError("broker frame without a header");
  }
  std::vector<absl::string_view> header = absl::StrSplit(frame.substr(0, newline), ' ');
  BrokerEnvelope envelope;
  if (header.size() != 3 || header[1].empty() || !absl::SimpleAtoi(header[0], &envelope.order) ||
      !absl::SimpleAtoi(header[2], &envelope.conn)) {
    return absl::InvalidArgumentError("malformed broker frame header");
  }
  envelope.node = std::string(header[1]);
  envelope.event = std::string(frame.substr(newline + 1));
  return envelope;
}

}  // namespace roomd
