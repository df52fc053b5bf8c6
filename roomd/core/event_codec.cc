#include "roomd/core/event_codec.h"

#include <grpc/slice.h>

namespace roomd {
namespace {

// ServerEvent.batch is field 6 and Batch.events is field 1, both length-delimited.
constexpr uint8_t kServerEventBatchTag = (6 << 3) | 2;
constexpr uint8_t kBatchEventsTag = (1 << 3) | 2;
// A tag byte plus two varints fits in a slice that gRPC stores inline (no allocation).
constexpr size_t kMaxHeaderBytes = 1 + 10 + 1 + 10;

size_t AppendVarint(uint64_t value, uint8_t* out) {
  size_t n = 0;
  while (value >= 0x80) {
    out[n++] = static_cast<uint8_t>(value | 0x80);
    value >>= 7;
  }
  out[n++] = static_cast<uint8_t>(value);
  return n;
}

// The length of a Batch holding `events`.
uint64_t BatchBodyBytes(const std::vector<grpc::Slice>& events) {
  uint64_t bytes = 0;
  for (const grpc::Slice& event : events) {
    bytes += 1 + VarintSize(event.size()) + event.size();
  }
  return bytes;
}

}  // namespace

grpc::Slice SerializeToSlice(const google::protobuf::MessageLite& message) {
  const size_t size = message.ByteSizeLong();
  grpc_slice slice = grpc_slice_malloc(size);
  message.SerializeWithCachedSizesToArray(GRPC_SLICE_START_PTR(slice));
  return grpc::Slice(slice, grpc::Slice::STEAL_REF);
}

size_t VarintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

grpc::ByteBuffer EncodeWrite(const std::vector<grpc::Slice>& events) {
  if (events.size() == 1) {
    return grpc::ByteBuffer(&events[0], 1);
  }
  std::vector<grpc::Slice> slices;
  slices.reserve(events.size() * 2);
  AppendWriteSlices(events, &slices);
  return grpc::ByteBuffer(slices.data(), slices.size());
}

size_t WriteBytes(const std::vector<grpc::Slice>& events) {
  if (events.size() == 1) {
    return events[0].size();
  }
  const uint64_t body = BatchBodyBytes(events);
  return 1 + VarintSize(body) + body;
}

void AppendWriteSlices(const std::vector<grpc::Slice>& events, std::vector<grpc::Slice>* out) {
  if (events.size() == 1) {
    out->push_back(events[0]);
    return;
  }
  const uint64_t batch_bytes = BatchBodyBytes(events);
  std::vector<grpc::Slice>& slices = *out;
  uint8_t header[kMaxHeaderBytes];
  for (size_t i = 0; i < events.size(); ++i) {
    size_t n = 0;
    if (i == 0) {
      header[n++] = kServerEventBatchTag;
      n += AppendVarint(batch_bytes, header + n);
    }
    header[n++] = kBatchEventsTag;
    n += AppendVarint(events[i].size(), header + n);
    slices.emplace_back(header, n);
    slices.push_back(events[i]);
  }
}

}  // namespace roomd
