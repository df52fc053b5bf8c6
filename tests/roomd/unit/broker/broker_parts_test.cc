// The small pieces of the Redis broker: --broker parsing, node ids, channel frames, scripts.

#include <gtest/gtest.h>

#include "roomd/broker/broker_envelope.h"
#include "roomd/broker/broker_factory.h"
#include "roomd/broker/redis_scripts.h"
#include "roomd/grpc/server.h"

namespace roomd {
namespace {

TEST(BrokerAddressTest, AcceptsMemoryAndRedisUrls) {
  absl::StatusOr<BrokerAddress> memory = ParseBrokerAddress("memory");
  ASSERT_TRUE(memory.ok());
  EXPECT_FALSE(memory->redis);

  absl::StatusOr<BrokerAddress> redis = ParseBrokerAddress("redis://127.0.0.1:6380");
  ASSERT_TRUE(redis.ok());
  EXPECT_TRUE(redis->redis);
  EXPECT_EQ(redis->host, "127.0.0.1");
  EXPECT_EQ(redis->port, 6380);

  redis = ParseBrokerAddress("redis://cache.internal");
  ASSERT_TRUE(redis.ok());
  EXPECT_EQ(redis->port, 6379);

  redis = ParseBrokerAddress("redis://[::1]:7000/");
  ASSERT_TRUE(redis.ok());
  EXPECT_EQ(redis->host, "::1");
  EXPECT_EQ(redis->port, 7000);
}

TEST(BrokerAddressTest, RefusesWhatItCannotHonour) {
  for (const char* spec : {"", "redis", "redis://", "redis://:6379", "redis://h:0",
                           "redis://h:99999", "redis://h:port", "redis://user:pw@h:6379",
                           "redis://h:6379/2", "rediss://h:6379", "kafka://h:1", "[::1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseBrokerAddress(spec).status())) << spec;
  }
}

TEST(BrokerOptionsTest, NodeIdsAndTimingAreChecked) {
  EXPECT_TRUE(ValidateNodeId("node-a.1_x").ok());
  EXPECT_FALSE(ValidateNodeId("").ok());
  EXPECT_FALSE(ValidateNodeId("has space").ok());
  EXPECT_FALSE(ValidateNodeId("new\nline").ok());
  EXPECT_FALSE(ValidateNodeId(std::string(65, 'n')).ok());
  EXPECT_TRUE(ValidateNodeId(DefaultNodeId()).ok()) << DefaultNodeId();

  ServerOptions options;
  options.broker = "redis://127.0.0.1:6379";
  EXPECT_TRUE(ValidateOptions(options).ok());
  options.heartbeat_interval = options.presence_expiry;  // would flap
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateOptions(options)));
  options = ServerOptions();
  options.broker = "redis://127.0.0.1:6379";
  options.node_id = "bad id";
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateOptions(options)));
  options = ServerOptions();
  options.broker = "nonsense";
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateOptions(options)));
}

TEST(BrokerEnvelopeTest, RoundTripsBinaryEvents) {
  const std::string event("\x12\x03\n\x01x\0end", 9);
  absl::StatusOr<BrokerEnvelope> envelope =
      DecodeEnvelope(EncodeEnvelope(42, "node-a", 7, event));
  ASSERT_TRUE(envelope.ok()) << envelope.status();
  EXPECT_EQ(envelope->order, 42u);
  EXPECT_EQ(envelope->node, "node-a");
  EXPECT_EQ(envelope->conn, 7u);
  EXPECT_EQ(envelope->event, event);
}

TEST(BrokerEnvelopeTest, RefusesForeignFrames) {
  for (const char* frame : {"", "no newline", "1 node\nx", "x node 1\nx", "1  1\nx",
                            "-1 node 1\nx", "1 node 1 extra\nx"}) {
    EXPECT_FALSE(DecodeEnvelope(frame).ok()) << frame;
  }
}

TEST(RedisScriptsTest, EachScriptHasItsOwnSha) {
  std::set<std::string> shas;
  for (RedisScript script : kAllRedisScripts) {
    EXPECT_EQ(RedisScriptSha(script).size(), 40u);
    EXPECT_NE(RedisScriptSource(script).find("redis.call"), std::string::npos);
    shas.insert(RedisScriptSha(script));
  }
  EXPECT_EQ(shas.size(), std::size(kAllRedisScripts));
  EXPECT_EQ(RoomChannel("lobby"), "chat:{lobby}");
}

}  // namespace
}  // namespace roomd
