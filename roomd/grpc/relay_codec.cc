#include "roomd/grpc/relay_codec.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

#include <utility>

#include "common/relay_wire.h"
#include "roomd/core/event_codec.h"

namespace roomd {
namespace {

using google::protobuf::internal::WireFormatLite;
namespace wire = chat::relay_wire;

absl::Status Malformed() {
  return absl::InvalidArgumentError("malformed RelayUp: not a chat.v1.RelayUp");
}

size_t MoreSessionsBytes(const RelayDownItem& item) {
  size_t bytes = 0;
  for (uint64_t session : item.more_sessions) {
    bytes += wire::VarintSize(session);
  }
  return bytes;
}

// The item's body length; for a done item, its fields are appended to `body` as well.
size_t ItemBody(const RelayDownItem& item, std::string* body) {
  size_t bytes = 1 + wire::VarintSize(item.session);
  if (const size_t more = MoreSessionsBytes(item); more != 0) {
    bytes += 1 + wire::VarintSize(more) + more;
  }
  if (!item.done) {
    const size_t event = WriteBytes(item.events);
    return bytes + 1 + wire::VarintSize(event) + event;
  }
  std::string fields;
  fields.push_back(static_cast<char>(wire::kDownDoneTag));
  fields.push_back(1);
  if (item.status.code() != absl::StatusCode::kOk) {
    fields.push_back(static_cast<char>(wire::kDownCodeTag));
    wire::AppendVarint(static_cast<uint64_t>(item.status.code()), &fields);
  }
  if (!item.status.message().empty()) {
    fields.push_back(static_cast<char>(wire::kDownMessageTag));
    wire::AppendVarint(item.status.message().size(), &fields);
    fields.append(item.status.message().data(), item.status.message().size());
  }
  if (body != nullptr) {
    body->append(fields);
  }
  return bytes + fields.size();
}

}  // namespace

absl::StatusOr<std::vector<RelayUpItem>> ParseRelayUp(const grpc::Slice& frame) {
  google::protobuf::io::CodedInputStream in(frame.begin(), static_cast<int>(frame.size()));
  std::vector<RelayUpItem> items;
  while (uint32_t tag = in.ReadTag()) {
    if (tag != wire::kItemsTag) {
      if (!WireFormatLite::SkipField(&in, tag)) {
        return Malformed();
      }
      continue;
    }
    uint32_t length = 0;
    if (!in.ReadVarint32(&length)) {
      return Malformed();
    }
    const auto limit = in.PushLimit(static_cast<int>(length));
    RelayUpItem item;
    while (uint32_t field = in.ReadTag()) {
      uint64_t value = 0;
      switch (field) {
        case wire::kSessionTag:
          if (!in.ReadVarint64(&item.session)) {
            return Malformed();
          }
          break;
        case wire::kUpEventTag: {
          uint32_t size = 0;
          if (!in.ReadVarint32(&size)) {
            return Malformed();
          }
          const size_t begin = static_cast<size_t>(in.CurrentPosition());
          if (!in.Skip(static_cast<int>(size))) {
            return Malformed();
          }
          item.action = RelayUpItem::Action::kEvent;
          item.event = frame.sub(begin, begin + size);
          break;
        }
        case wire::kUpCloseTag:
        case wire::kUpCancelTag:
          if (!in.ReadVarint64(&value)) {
            return Malformed();
          }
          if (value != 0) {
            item.action = field == wire::kUpCloseTag ? RelayUpItem::Action::kClose
                                               : RelayUpItem::Action::kCancel;
          }
          break;
        default:
          if (!WireFormatLite::SkipField(&in, field)) {
            return Malformed();
          }
      }
    }
    if (!in.ConsumedEntireMessage() || in.BytesUntilLimit() != 0) {
      return Malformed();
    }
    in.PopLimit(limit);
    if (item.session == 0) {
      return absl::InvalidArgumentError("malformed RelayUp: an item has no session id");
    }
    items.push_back(std::move(item));
  }
  if (!in.ConsumedEntireMessage() || in.CurrentPosition() != static_cast<int>(frame.size())) {
    return Malformed();
  }
  return items;
}

size_t RelayDownItemBytes(const RelayDownItem& item) {
  const size_t body = ItemBody(item, nullptr);
  return 1 + wire::VarintSize(body) + body;
}

grpc::ByteBuffer EncodeRelayDown(const std::vector<RelayDownItem>& items) {
  // Every header goes into one buffer, copied into one slice; the frame is that slice's
  // pieces interleaved with the events' own slices.
  std::string headers;
  std::vector<std::pair<size_t, size_t>> header_ranges;
  header_ranges.reserve(items.size());
  for (const RelayDownItem& item : items) {
    const size_t begin = headers.size();
    std::string done_fields;
    const size_t body = ItemBody(item, &done_fields);
    headers.push_back(static_cast<char>(wire::kItemsTag));
    wire::AppendVarint(body, &headers);
    headers.push_back(static_cast<char>(wire::kSessionTag));
    wire::AppendVarint(item.session, &headers);
    if (const size_t more = MoreSessionsBytes(item); more != 0) {
      headers.push_back(static_cast<char>(wire::kDownMoreSessionsTag));
      wire::AppendVarint(more, &headers);
      for (uint64_t session : item.more_sessions) {
        wire::AppendVarint(session, &headers);
      }
    }
    if (item.done) {
      headers.append(done_fields);
    } else {
      headers.push_back(static_cast<char>(wire::kDownEventTag));
      wire::AppendVarint(WriteBytes(item.events), &headers);
    }
    header_ranges.emplace_back(begin, headers.size());
  }
  const grpc::Slice all_headers(headers);
  std::vector<grpc::Slice> slices;
  slices.reserve(items.size() * 2);
  for (size_t i = 0; i < items.size(); ++i) {
    slices.push_back(all_headers.sub(header_ranges[i].first, header_ranges[i].second));
    if (!items[i].done) {
      AppendWriteSlices(items[i].events, &slices);
    }
  }
  return grpc::ByteBuffer(slices.data(), slices.size());
}

}  // namespace roomd
