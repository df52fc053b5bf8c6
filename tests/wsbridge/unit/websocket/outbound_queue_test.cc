#include "wsbridge/websocket/outbound_queue.h"

#include <deque>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wsbridge/codec/json_codec.h"
#include "wsbridge/codec/server_event_frames.h"

namespace wsbridge {
namespace {

Frame F(std::string text) { return std::make_shared<const std::string>(std::move(text)); }

// One relay read's frames, as the relay hands them to every browser it went to.
SharedFrames RunOf(std::vector<std::string> texts) {
  auto run = std::make_shared<ServerEventFrames>();
  for (std::string& text : texts) {
    run->bytes += text.size();
    run->frames.push_back(F(std::move(text)));
  }
  return run;
}

// The batch frame the queue writes for its first `batch.count` events.
std::string Written(const OutboundQueue& queue, const OutboundQueue::Batch& batch) {
  std::string out(BatchFrameSize(batch.joined_bytes), '\0');
  queue.WriteBatch(batch, out.data());
  return out;
}

// What AppendBatchFrame (the codec's own) gives for these events.
std::string Expected(const std::vector<std::string>& texts) {
  chat::RingDeque<Frame> frames;
  for (const std::string& text : texts) {
    frames.push_back(F(text));
  }
  std::string out;
  AppendBatchFrame(frames, frames.size(), &out);
  return out;
}

TEST(OutboundQueueTest, ABatchCrossesRunsAndIsTheCodecsBatchFrame) {
  OutboundQueue queue;
  ASSERT_TRUE(queue.Push(RunOf({"{\"a\":1}", "{\"b\":2}"}), 1 << 20));
  ASSERT_TRUE(queue.Push(RunOf({"{\"c\":3}"}), 1 << 20));
  ASSERT_TRUE(queue.Push(RunOf({"{\"d\":4}", "{\"e\":5}"}), 1 << 20));
  EXPECT_EQ(queue.events(), 5u);
  EXPECT_EQ(queue.bytes(), 35u);

  const OutboundQueue::Batch batch = queue.PlanBatch(4, 1 << 20);
  EXPECT_EQ(batch.count, 4u);
  EXPECT_EQ(batch.joined_bytes, 4 * 7 + 3u);
  EXPECT_EQ(Written(queue, batch), Expected({"{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}"}));

  // The cursor stops inside the last run: its second frame comes next.
  queue.Pop(batch.count);
  EXPECT_EQ(queue.events(), 1u);
  EXPECT_EQ(queue.bytes(), 7u);
  EXPECT_EQ(*queue.Front(), "{\"e\":5}");
  queue.Pop(1);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(OutboundQueueTest, ABatchStopsAtItsByteBoundButTakesAnOversizeFirstEvent) {
  OutboundQueue queue;
  const std::string big(100, 'x');
  ASSERT_TRUE(queue.Push(RunOf({big, "{\"b\":2}", "{\"c\":3}"}), 1 << 20));
  EXPECT_EQ(queue.PlanBatch(256, 50).count, 1u);  // the first alone, whatever its size
  queue.Pop(1);
  // 7 + 1 + 7 = 15 bytes joined: a bound of 14 keeps one, 15 takes both.
  EXPECT_EQ(queue.PlanBatch(256, 14).count, 1u);
  EXPECT_EQ(queue.PlanBatch(256, 15).count, 2u);
  EXPECT_EQ(queue.PlanBatch(1, 1 << 20).count, 1u);  // a browser that takes no batches
}

TEST(OutboundQueueTest, OneFrameAlwaysFitsABacklogDoesNot) {
  OutboundQueue queue;
  const std::string big(100, 'x');
  // A lone frame over the limit (a big Welcome) fits an empty queue...
  EXPECT_TRUE(queue.Push(RunOf({big}), 50));
  // ...but nothing more fits behind it.
  EXPECT_FALSE(queue.Push(RunOf({"{\"b\":2}"}), 50));
  EXPECT_EQ(queue.events(), 1u);
  queue.Pop(1);
  // A run of several frames over the limit does not fit even an empty queue, as its
  // frames one by one would not; a run that ends exactly at the limit does.
  EXPECT_FALSE(queue.Push(RunOf({"0123456789", big}), 50));
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.Push(RunOf({std::string(20, 'a'), std::string(30, 'b')}), 50));
  EXPECT_FALSE(queue.Push(RunOf({"c"}), 50));
  EXPECT_EQ(queue.bytes(), 50u);
}

TEST(OutboundQueueTest, ARunSharedByManyQueuesIsReadByEachAtItsOwnPace) {
  // One relay read for three browsers: each has its cursor; the run lives while any does.
  SharedFrames run = RunOf({"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
  std::weak_ptr<const ServerEventFrames> watch = run;
  OutboundQueue fast, slow, late;
  ASSERT_TRUE(fast.Push(run, 1 << 20));
  ASSERT_TRUE(slow.Push(run, 1 << 20));
  run.reset();

  fast.Pop(3);
  EXPECT_TRUE(fast.empty());
  EXPECT_FALSE(watch.expired());  // the slow reader still holds it
  slow.Pop(1);
  EXPECT_EQ(*slow.Front(), "{\"b\":2}");

  // A browser that joins later gets only what comes after its Welcome.
  ASSERT_TRUE(late.Push(RunOf({"{\"welcome\":{}}"}), 1 << 20));
  ASSERT_TRUE(late.Push(RunOf({"{\"d\":4}"}), 1 << 20));
  EXPECT_EQ(Written(late, late.PlanBatch(256, 1 << 20)),
            Expected({"{\"welcome\":{}}", "{\"d\":4}"}));

  slow.Pop(2);
  EXPECT_TRUE(watch.expired());
}

TEST(OutboundQueueTest, ManyRunsWrapThroughTheQueueAndClearEmptiesIt) {
  OutboundQueue queue;
  std::size_t expected_bytes = 0;
  for (int round = 0; round < 1000; ++round) {
    const std::string text = "{\"n\":" + std::to_string(round) + "}";
    ASSERT_TRUE(queue.Push(RunOf({text, text}), 1 << 20));
    expected_bytes += 2 * text.size();
    if (round % 3 == 2) {  // a write of 5 events every third run: cursors land mid-run
      const OutboundQueue::Batch batch = queue.PlanBatch(5, 1 << 20);
      ASSERT_EQ(batch.count, 5u);
      queue.Pop(batch.count);
      expected_bytes -= batch.joined_bytes - (batch.count - 1);
    }
    ASSERT_EQ(queue.bytes(), expected_bytes);
  }
  EXPECT_EQ(queue.events(), 2000u - 333u * 5u);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
  EXPECT_TRUE(queue.Push(RunOf({"{}"}), 1));
}

}  // namespace
}  // namespace wsbridge
