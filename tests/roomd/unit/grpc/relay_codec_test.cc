#include "roomd/grpc/relay_codec.h"

#include <gtest/gtest.h>

#include "chat/v1/chat.pb.h"
#include "roomd/core/event_codec.h"

namespace roomd {
namespace {

grpc::Slice SliceOf(const std::string& bytes) { return grpc::Slice(bytes); }

std::string BytesOf(const grpc::ByteBuffer& buffer) {
  grpc::Slice slice;
  EXPECT_TRUE(buffer.DumpToSingleSlice(&slice).ok());
  return std::string(reinterpret_cast<const char*>(slice.begin()), slice.size());
}

TEST(RelayCodecTest, ParsesWhatTheGeneratedCodeWrites) {
  chat::v1::RelayUp up;
  auto* join = up.add_items();
  join->set_session(7);
  join->mutable_event()->mutable_join()->set_room("lobby");
  auto* close = up.add_items();
  close->set_session(300);
  close->set_close(true);
  auto* cancel = up.add_items();
  cancel->set_session(8);
  cancel->set_cancel(true);
  up.add_items()->set_session(9);  // no action: from a newer client

  absl::StatusOr<std::vector<RelayUpItem>> items = ParseRelayUp(SliceOf(up.SerializeAsString()));
  ASSERT_TRUE(items.ok()) << items.status();
  ASSERT_EQ(items->size(), 4u);
  EXPECT_EQ((*items)[0].session, 7u);
  EXPECT_EQ((*items)[0].action, RelayUpItem::Action::kEvent);
  chat::v1::ClientEvent event;
  ASSERT_TRUE(event.ParseFromArray((*items)[0].event.begin(),
                                   static_cast<int>((*items)[0].event.size())));
  EXPECT_EQ(event.join().room(), "lobby");
  EXPECT_EQ((*items)[1].session, 300u);
  EXPECT_EQ((*items)[1].action, RelayUpItem::Action::kClose);
  EXPECT_EQ((*items)[2].action, RelayUpItem::Action::kCancel);
  EXPECT_EQ((*items)[3].action, RelayUpItem::Action::kNone);
}

TEST(RelayCodecTest, RefusesBytesThatAreNotARelayUp) {
  EXPECT_FALSE(ParseRelayUp(SliceOf("\x0a\x05\x08")).ok());        // item cut short
  EXPECT_FALSE(ParseRelayUp(SliceOf("\x0a\x02\x12\x09")).ok());    // event longer than item
  EXPECT_FALSE(ParseRelayUp(SliceOf("\xff\xff\xff\xff\xff")).ok());  // no valid tag
  chat::v1::RelayUp no_session;
  no_session.add_items()->set_close(true);
  EXPECT_FALSE(ParseRelayUp(SliceOf(no_session.SerializeAsString())).ok());
  EXPECT_TRUE(ParseRelayUp(SliceOf("")).ok());  // an empty frame is no items
}

TEST(RelayCodecTest, WritesWhatTheGeneratedCodeReads) {
  chat::v1::ServerEvent first;
  first.mutable_message()->set_text("hello");
  chat::v1::ServerEvent second;
  second.mutable_presence()->set_room("lobby");
  std::vector<RelayDownItem> items(3);
  items[0].session = 1;
  items[0].events = {SerializeToSlice(first)};
  items[1].session = 2;
  items[1].more_sessions = {4, 300, 5};  // the same batch goes to these too
  items[1].events = {SerializeToSlice(first), SerializeToSlice(second)};
  items[2].session = 3;
  items[2].done = true;
  items[2].status = absl::InvalidArgumentError("first event must be join");

  const grpc::ByteBuffer frame = EncodeRelayDown(items);
  const std::string bytes = BytesOf(frame);
  size_t expected_size = 0;
  for (const RelayDownItem& item : items) {
    expected_size += RelayDownItemBytes(item);
  }
  EXPECT_EQ(bytes.size(), expected_size);
  chat::v1::RelayDown down;
  ASSERT_TRUE(down.ParseFromString(bytes));
  ASSERT_EQ(down.items_size(), 3);
  EXPECT_EQ(down.items(0).session(), 1u);
  EXPECT_EQ(down.items(0).event().message().text(), "hello");
  EXPECT_FALSE(down.items(0).done());
  EXPECT_TRUE(down.items(0).more_sessions().empty());
  EXPECT_EQ(down.items(1).session(), 2u);
  EXPECT_EQ(std::vector<uint64_t>(down.items(1).more_sessions().begin(),
                                  down.items(1).more_sessions().end()),
            (std::vector<uint64_t>{4, 300, 5}));
  ASSERT_EQ(down.items(1).event().batch().events_size(), 2);
  EXPECT_EQ(down.items(1).event().batch().events(0).message().text(), "hello");
  EXPECT_EQ(down.items(1).event().batch().events(1).presence().room(), "lobby");
  EXPECT_TRUE(down.items(2).done());
  EXPECT_EQ(down.items(2).code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(down.items(2).message(), "first event must be join");
}

}  // namespace
}  // namespace roomd
