#include "bench/sender.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bench/payload.h"

namespace bench {
namespace {

class RecordingTransport : public Transport {
 public:
  void SendMessage(const std::string& text, const std::string& client_id) override {
    const std::optional<Payload> payload = ParsePayload(text);
    ASSERT_TRUE(payload.has_value());
    EXPECT_EQ(std::to_string(payload->seq), client_id);
    seqs.push_back(payload->seq);
  }
  std::vector<uint64_t> seqs;
};

class SenderTest : public ::testing::Test {
 protected:
  SenderTest() : run_(1), acks_(1, 4) {
    options_.window = 4;
    options_.rate = 0;
    options_.ack = AckMode::kAll;
    run_.room_live(0).store(3);
    sender_ = std::make_unique<Sender>(0, 0, options_, &run_, &acks_, ioc_.get_executor());
    sender_->set_transport(&transport_);
  }
  void Run() {
    ioc_.restart();
    ioc_.poll();
  }

  BenchOptions options_;
  RunState run_;
  AckTable acks_;
  boost::asio::io_context ioc_;
  RecordingTransport transport_;
  std::unique_ptr<Sender> sender_;
};

TEST_F(SenderTest, FillsTheWindowThenSendsOnEachAck) {
  sender_->Start(0);
  Run();
  EXPECT_EQ(transport_.seqs, (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(run_.outstanding().load(), 4);
  sender_->Acked(1);
  Run();
  EXPECT_EQ(transport_.seqs.back(), 5u);
  EXPECT_EQ(sender_->stats().acked, 1u);
  EXPECT_EQ(run_.outstanding().load(), 4);
}

TEST_F(SenderTest, WindowSpansSeqsSoSlotsNeverCollide) {
  sender_->Start(0);
  Run();
  // 2..4 refused at once (e.g. rate limited) while 1 is still on its way.
  sender_->Rejected(2);
  sender_->Rejected(3);
  sender_->Rejected(4);
  Run();
  EXPECT_EQ(transport_.seqs.size(), 4u) << "seq 5 would share seq 1's slot";
  EXPECT_EQ(sender_->stats().rejected, 3u);
  // Every receiver gets seq 1: the table acknowledges it, and the window moves on.
  EXPECT_FALSE(acks_.Deliver(0, 1));
  EXPECT_FALSE(acks_.Deliver(0, 1));
  EXPECT_TRUE(acks_.Deliver(0, 1));
  sender_->Acked(1);
  Run();
  EXPECT_EQ(transport_.seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST_F(SenderTest, StopsSending) {
  sender_->Start(0);
  Run();
  sender_->Stop();
  sender_->Acked(1);
  sender_->Acked(2);
  Run();
  EXPECT_EQ(transport_.seqs.size(), 4u);
  EXPECT_EQ(run_.outstanding().load(), 2);
}

TEST_F(SenderTest, DisconnectGivesUpOnWhatIsInFlight) {
  sender_->Start(0);
  Run();
  sender_->Acked(1);
  sender_->Disconnected();
  Run();
  EXPECT_EQ(run_.outstanding().load(), 0);
  EXPECT_EQ(sender_->stats().acked, 1u);
  EXPECT_EQ(sender_->stats().ack_timeouts, 4u);  // 2..5 (5 went out when 1 was acknowledged)
  EXPECT_FALSE(acks_.Deliver(0, 5)) << "abandoned slots acknowledge nothing";
}

}  // namespace
}  // namespace bench
