#include "wsbridge/websocket/frame_deflater.h"

#include <zlib.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace wsbridge {
namespace {

// A browser's side of permessage-deflate: one raw inflater for the whole connection (it
// keeps its window between messages), fed each payload with 00 00 ff ff put back.
class BrowserInflater {
 public:
  explicit BrowserInflater(int window_bits = 15) {
    EXPECT_EQ(inflateInit2(&z_, -window_bits), Z_OK);
  }
  ~BrowserInflater() { inflateEnd(&z_); }

  std::string Inflate(const std::string& payload) {
    std::string in = payload + std::string("\x00\x00\xff\xff", 4);
    std::string out(64 * 1024, '\0');
    z_.next_in = reinterpret_cast<Bytef*>(in.data());
    z_.avail_in = static_cast<uInt>(in.size());
    z_.next_out = reinterpret_cast<Bytef*>(out.data());
    z_.avail_out = static_cast<uInt>(out.size());
    const int result = inflate(&z_, Z_SYNC_FLUSH);
    EXPECT_TRUE(result == Z_OK || result == Z_BUF_ERROR) << result;
    EXPECT_EQ(z_.avail_in, 0u);
    out.resize(out.size() - z_.avail_out);
    return out;
  }

 private:
  z_stream z_{};
};

std::string ChatEvent(int n) {
  return absl::StrCat(
      R"({"message":{"room":"lobby","seq":")", n,
      R"(","from":{"id":"u_3f2a9c0e1b7d4a55","name":"ann","avatarUrl":"https://www.gravatar.com/avatar/0b5f3c1e9d2a4b6c8e7f1a3b5c7d9e0f?d=identicon"},"text":"hello number )",
      n, R"(","sentAt":"2026-12-07T00:41:12.123Z"}})");
}

TEST(FrameDeflaterTest, EveryMessageInflatesBackInOrderAndRepeatsCostFewBytes) {
  FrameDeflater deflater(DeflateAgreement{});
  BrowserInflater browser;
  std::string packed;
  std::size_t later_bytes = 0;
  for (int n = 1; n <= 50; ++n) {
    const std::string event = ChatEvent(n);
    ASSERT_TRUE(deflater.Compress(event, &packed).ok());
    EXPECT_EQ(browser.Inflate(packed), event) << "message " << n;
    if (n > 1) {
      later_bytes += packed.size();
    }
  }
  // The first event costs most of its size; the others mostly refer back to the last one.
  EXPECT_LT(later_bytes / 49, ChatEvent(2).size() / 4);
}

TEST(FrameDeflaterTest, BrowsersOnOneLoopTakeTurnsWithItsCompressor) {
  // Three browsers' frames compressed in turn on one thread, each against its own context.
  FrameDeflater ann(DeflateAgreement{});
  FrameDeflater bob(DeflateAgreement{});
  FrameDeflater eve(DeflateAgreement{.max_window_bits = 9});
  BrowserInflater ann_browser;
  BrowserInflater bob_browser;
  BrowserInflater eve_browser(9);
  std::string packed;
  std::size_t later_bytes = 0;
  for (int n = 1; n <= 20; ++n) {
    const std::string to_ann = ChatEvent(n);
    const std::string to_bob = absl::StrCat("[bob] ", ChatEvent(1000 + n));
    const std::string to_eve = absl::StrCat(ChatEvent(n * 31), " for eve");
    ASSERT_TRUE(ann.Compress(to_ann, &packed).ok());
    if (n > 1) {
      later_bytes += packed.size();
    }
    EXPECT_EQ(ann_browser.Inflate(packed), to_ann) << "message " << n;
    ASSERT_TRUE(bob.Compress(to_bob, &packed).ok());
    EXPECT_EQ(bob_browser.Inflate(packed), to_bob) << "message " << n;
    ASSERT_TRUE(eve.Compress(to_eve, &packed).ok());
    EXPECT_EQ(eve_browser.Inflate(packed), to_eve) << "message " << n;
  }
  // Taking turns costs no compression: ann's events still refer back to hers.
  EXPECT_LT(later_bytes / 19, ChatEvent(2).size() / 4);
}

TEST(FrameDeflaterTest, ABrowserKeepsAtMostTheWindowBetweenMessages) {
  FrameDeflater deflater(DeflateAgreement{});
  FrameDeflater small(DeflateAgreement{.max_window_bits = 9});
  FrameDeflater alone(DeflateAgreement{.context_takeover = false});
  std::string packed;
  ASSERT_TRUE(deflater.Compress(ChatEvent(1), &packed).ok());
  EXPECT_EQ(deflater.context_bytes(), ChatEvent(1).size());
  for (int n = 2; n <= 10; ++n) {
    ASSERT_TRUE(deflater.Compress(ChatEvent(n), &packed).ok());
    ASSERT_TRUE(small.Compress(ChatEvent(n), &packed).ok());
    ASSERT_TRUE(alone.Compress(ChatEvent(n), &packed).ok());
  }
  // What deflate can reach back in the window: 1,024 and 512 bytes less its lookahead.
  EXPECT_EQ(deflater.context_bytes(), 1024u - 262);
  EXPECT_EQ(small.context_bytes(), 512u - 262);
  EXPECT_EQ(alone.context_bytes(), 0u);
  EXPECT_FALSE(alone.holds_state());
}

TEST(FrameDeflaterTest, AfterReleaseTheNextMessageStartsAfreshAndStillInflates) {
  FrameDeflater deflater(DeflateAgreement{});
  BrowserInflater browser;
  std::string packed;
  ASSERT_TRUE(deflater.Compress(ChatEvent(1), &packed).ok());
  EXPECT_EQ(browser.Inflate(packed), ChatEvent(1));
  EXPECT_TRUE(deflater.holds_state());
  deflater.Release();
  EXPECT_FALSE(deflater.holds_state());
  ASSERT_TRUE(deflater.Compress(ChatEvent(2), &packed).ok());
  EXPECT_EQ(browser.Inflate(packed), ChatEvent(2));
  ASSERT_TRUE(deflater.Compress(ChatEvent(3), &packed).ok());
  EXPECT_EQ(browser.Inflate(packed), ChatEvent(3));
}

TEST(FrameDeflaterTest, WithoutContextTakeoverEachMessageStandsAlone) {
  FrameDeflater deflater(DeflateAgreement{.context_takeover = false});
  std::string packed;
  for (int n = 1; n <= 3; ++n) {
    ASSERT_TRUE(deflater.Compress(ChatEvent(n), &packed).ok());
    BrowserInflater fresh;  // knows nothing of the messages before
    EXPECT_EQ(fresh.Inflate(packed), ChatEvent(n));
  }
}

TEST(FrameDeflaterTest, StaysWithinTheAgreedWindow) {
  // A browser that asked for server_max_window_bits=9 inflates with a 512-byte window.
  FrameDeflater deflater(DeflateAgreement{.max_window_bits = 9});
  BrowserInflater browser(9);
  std::string packed;
  for (int n = 1; n <= 20; ++n) {
    const std::string event = ChatEvent(n) + std::string(700, 'x');
    ASSERT_TRUE(deflater.Compress(event, &packed).ok());
    EXPECT_EQ(browser.Inflate(packed), event);
  }
}

TEST(FrameDeflaterTest, EmptyAndIncompressibleMessages) {
  FrameDeflater deflater(DeflateAgreement{});
  BrowserInflater browser;
  std::string packed;
  ASSERT_TRUE(deflater.Compress("", &packed).ok());
  EXPECT_EQ(browser.Inflate(packed), "");
  std::string noise;
  for (int i = 0; i < 4000; ++i) {
    noise.push_back(static_cast<char>((i * 7919 + i / 3) & 0xff));
  }
  ASSERT_TRUE(deflater.Compress(noise, &packed).ok());
  EXPECT_EQ(browser.Inflate(packed), noise);
}

TEST(ParseDeflateAgreementTest, ReadsWhatBeastAnswered) {
  EXPECT_FALSE(ParseDeflateAgreement("").has_value());
  EXPECT_FALSE(ParseDeflateAgreement("x-webkit-deflate-frame").has_value());

  std::optional<DeflateAgreement> plain = ParseDeflateAgreement("permessage-deflate");
  ASSERT_TRUE(plain.has_value());
  EXPECT_TRUE(plain->context_takeover);
  EXPECT_EQ(plain->max_window_bits, 15);
  EXPECT_TRUE(plain->client_context_takeover);
  EXPECT_EQ(plain->client_max_window_bits, 15);

  std::optional<DeflateAgreement> small = ParseDeflateAgreement(
      "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
      "client_max_window_bits=10");
  ASSERT_TRUE(small.has_value());
  EXPECT_FALSE(small->context_takeover);
  EXPECT_EQ(small->max_window_bits, 10);
  EXPECT_TRUE(small->client_context_takeover);
  EXPECT_EQ(small->client_max_window_bits, 10);

  std::optional<DeflateAgreement> client = ParseDeflateAgreement(
      "permessage-deflate; client_no_context_takeover; client_max_window_bits=9");
  ASSERT_TRUE(client.has_value());
  EXPECT_TRUE(client->context_takeover);
  EXPECT_FALSE(client->client_context_takeover);
  EXPECT_EQ(client->client_max_window_bits, 9);

  EXPECT_FALSE(ParseDeflateAgreement("permessage-deflate; server_max_window_bits=99"));
}

}  // namespace
}  // namespace wsbridge
