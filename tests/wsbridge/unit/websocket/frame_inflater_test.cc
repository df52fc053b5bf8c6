#include "wsbridge/websocket/frame_inflater.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "tests/wsbridge/unit/websocket/browser_deflater.h"

namespace wsbridge {
namespace {

std::string ChatMessage(int n) {
  return absl::StrCat(R"({"send":{"room":"lobby","text":"message number )", n,
                      R"( from ann, who repeats herself","clientId":"c-)", n, R"("}})");
}

// Inflates `parts` (one message) with `inflater` and returns the text.
std::string InflateParts(FrameInflater& inflater, const std::vector<std::string>& parts) {
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const absl::Status status =
        inflater.Inflate(parts[i], i + 1 == parts.size(), [&](absl::string_view piece) {
          text.append(piece.data(), piece.size());
          return true;
        });
    EXPECT_TRUE(status.ok()) << status;
  }
  return text;
}

TEST(FrameInflaterTest, BetweenMessagesOnlyTheWindowsLastBytesAreKept) {
  BrowserDeflater browser(10);
  FrameInflater inflater(10, /*context_takeover=*/true);
  std::size_t later_bytes = 0;
  for (int n = 1; n <= 30; ++n) {
    const std::string packed = browser.Compress(ChatMessage(n));
    if (n > 1) {
      later_bytes += packed.size();
    }
    EXPECT_EQ(InflateParts(inflater, {packed}), ChatMessage(n)) << "message " << n;
    EXPECT_FALSE(inflater.holds_state()) << "zlib's state is given back after each message";
    EXPECT_LE(inflater.context_bytes(), 1024u);
  }
  EXPECT_EQ(inflater.context_bytes(), 1024u);
  // The browser's messages refer back to the ones before, which the context resolves.
  EXPECT_LT(later_bytes / 29, ChatMessage(2).size() / 3);
}

TEST(FrameInflaterTest, InterleavedBrowsersEachKeepTheirOwnContext) {
  // Two browsers on one loop, their messages split into parts that arrive interleaved.
  BrowserDeflater ann(10);
  BrowserDeflater bob(10);
  FrameInflater from_ann(10, true);
  FrameInflater from_bob(10, true);
  for (int n = 1; n <= 10; ++n) {
    const std::string ann_text = ChatMessage(n);
    const std::string bob_text = absl::StrCat("bob says ", ChatMessage(100 + n));
    const std::string ann_packed = ann.Compress(ann_text);
    const std::string bob_packed = bob.Compress(bob_text);
    std::string ann_got;
    std::string bob_got;
    auto into = [](std::string* text) {
      return [text](absl::string_view piece) {
        text->append(piece.data(), piece.size());
        return true;
      };
    };
    const std::size_t half = ann_packed.size() / 2;
    ASSERT_TRUE(from_ann.Inflate(ann_packed.substr(0, half), false, into(&ann_got)).ok());
    EXPECT_TRUE(from_ann.holds_state());
    ASSERT_TRUE(from_bob.Inflate(bob_packed, true, into(&bob_got)).ok());
    ASSERT_TRUE(from_ann.Inflate(ann_packed.substr(half), true, into(&ann_got)).ok());
    EXPECT_EQ(ann_got, ann_text) << "message " << n;
    EXPECT_EQ(bob_got, bob_text) << "message " << n;
  }
}

TEST(FrameInflaterTest, AFullWindowReachesBackAcrossManyMessages) {
  // A client that agreed to no smaller window may refer back 32 KB: a block it sent long
  // before, repeated after many other messages.
  BrowserDeflater browser(15);
  FrameInflater inflater(15, true);
  std::string block;
  for (int i = 0; block.size() < 6000; ++i) {
    absl::StrAppend(&block, "line ", i * 7919 % 1000, " of a long paste; ");
  }
  EXPECT_EQ(InflateParts(inflater, {browser.Compress(block)}), block);
  for (int n = 1; n <= 40; ++n) {
    EXPECT_EQ(InflateParts(inflater, {browser.Compress(ChatMessage(n))}), ChatMessage(n));
  }
  const std::string again = browser.Compress(block);
  EXPECT_LT(again.size(), block.size() / 20) << "the browser referred back to the block";
  EXPECT_EQ(InflateParts(inflater, {again}), block);
  EXPECT_LE(inflater.context_bytes(), 32u * 1024);
}

TEST(FrameInflaterTest, WithoutContextTakeoverNothingIsKept) {
  FrameInflater inflater(15, /*context_takeover=*/false);
  for (int n = 1; n <= 3; ++n) {
    BrowserDeflater fresh(15);  // a browser that starts afresh for every message
    EXPECT_EQ(InflateParts(inflater, {fresh.Compress(ChatMessage(n))}), ChatMessage(n));
    EXPECT_EQ(inflater.context_bytes(), 0u);
    EXPECT_FALSE(inflater.holds_state());
  }
}

TEST(FrameInflaterTest, DataZlibRefusesIsAnErrorAndForgetsTheContext) {
  BrowserDeflater browser(10);
  FrameInflater inflater(10, true);
  EXPECT_EQ(InflateParts(inflater, {browser.Compress(ChatMessage(1))}), ChatMessage(1));
  EXPECT_GT(inflater.context_bytes(), 0u);
  const absl::Status status = inflater.Inflate(std::string("\xff\xff\xff\xff", 4), true,
                                               [](absl::string_view) { return true; });
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(inflater.holds_state());
  EXPECT_EQ(inflater.context_bytes(), 0u);
}

}  // namespace
}  // namespace wsbridge
