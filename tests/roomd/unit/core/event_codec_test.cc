#include "roomd/core/event_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "chat/v1/chat.pb.h"

namespace roomd {
namespace {

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::vector<grpc::Slice> slices;
  EXPECT_TRUE(buffer.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& slice : slices) {
    bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
  }
  return bytes;
}

chat::v1::ServerEvent Message(uint64_t seq, size_t text_bytes) {
  chat::v1::ServerEvent event;
  event.mutable_message()->set_room("lobby");
  event.mutable_message()->set_seq(seq);
  event.mutable_message()->set_text(std::string(text_bytes, 'a' + seq % 26));
  return event;
}

TEST(EventCodecTest, VarintSize) {
  EXPECT_EQ(VarintSize(0), 1u);
  EXPECT_EQ(VarintSize(127), 1u);
  EXPECT_EQ(VarintSize(128), 2u);
  EXPECT_EQ(VarintSize(16383), 2u);
  EXPECT_EQ(VarintSize(16384), 3u);
  EXPECT_EQ(VarintSize(~uint64_t{0}), 10u);
}

TEST(EventCodecTest, SerializeToSliceMatchesProtobuf) {
  const chat::v1::ServerEvent event = Message(7, 300);
  const grpc::Slice slice = SerializeToSlice(event);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(slice.begin()), slice.size()),
            event.SerializeAsString());
}

TEST(EventCodecTest, OneEventIsWrittenAsIs) {
  const chat::v1::ServerEvent event = Message(1, 10);
  const grpc::ByteBuffer buffer = EncodeWrite({SerializeToSlice(event)});
  EXPECT_EQ(Flatten(buffer), event.SerializeAsString());
}

// Sizes cross the one-, two- and three-byte varint boundaries of both length prefixes.
TEST(EventCodecTest, BatchIsByteIdenticalToProtobufAndRoundTrips) {
  for (const std::vector<size_t>& sizes :
       std::vector<std::vector<size_t>>{{1, 2}, {100, 20, 3}, {200, 17000, 5}, {70000, 1}}) {
    chat::v1::ServerEvent expected;
    std::vector<grpc::Slice> slices;
    for (size_t i = 0; i < sizes.size(); ++i) {
      const chat::v1::ServerEvent event = Message(i + 1, sizes[i]);
      *expected.mutable_batch()->add_events() = event;
      slices.push_back(SerializeToSlice(event));
    }
    const std::string bytes = Flatten(EncodeWrite(slices));
    EXPECT_EQ(bytes, expected.SerializeAsString());
    chat::v1::ServerEvent parsed;
    ASSERT_TRUE(parsed.ParseFromString(bytes));
    ASSERT_EQ(parsed.batch().events_size(), static_cast<int>(sizes.size()));
    for (size_t i = 0; i < sizes.size(); ++i) {
      EXPECT_EQ(parsed.batch().events(i).message().seq(), i + 1);
      EXPECT_EQ(parsed.batch().events(i).message().text().size(), sizes[i]);
    }
  }
}

TEST(EventCodecTest, BatchSharesTheEventSlices) {
  const grpc::Slice event = SerializeToSlice(Message(1, 1000));
  const grpc::ByteBuffer buffer = EncodeWrite({event, event});
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(buffer.Dump(&slices).ok());
  ASSERT_EQ(slices.size(), 4u);  // header, event, header, event
  EXPECT_EQ(slices[1].begin(), event.begin());
  EXPECT_EQ(slices[3].begin(), event.begin());
}

}  // namespace
}  // namespace roomd
