#pragma once

// Wire helpers for pre-serialized ServerEvents: an event is serialized once into a refcounted
// grpc::Slice, and a write to any number of recipients only references those slices.

#include <cstddef>
#include <cstdint>
#include <vector>

#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include "google/protobuf/message_lite.h"

namespace roomd {

// Serializes `message` into one freshly allocated slice (no intermediate string).
grpc::Slice SerializeToSlice(const google::protobuf::MessageLite& message);

// Bytes a protobuf varint takes for `value`.
size_t VarintSize(uint64_t value);

// One write for `events` (each a serialized chat.v1.ServerEvent, none a batch): the event
// itself when there is one, else a ServerEvent{batch} made of small header slices and the
// shared event slices, byte-identical to serializing the Batch message.
grpc::ByteBuffer EncodeWrite(const std::vector<grpc::Slice>& events);

// The same write as slices appended to `out` (fresh headers, shared events), and its size.
void AppendWriteSlices(const std::vector<grpc::Slice>& events, std::vector<grpc::Slice>* out);
size_t WriteBytes(const std::vector<grpc::Slice>& events);

}  // namespace roomd
