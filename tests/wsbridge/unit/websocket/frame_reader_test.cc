#include "wsbridge/websocket/frame_reader.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "tests/wsbridge/unit/websocket/browser_deflater.h"

namespace wsbridge {
namespace frame_reader_test {
namespace {

constexpr std::uint8_t kContinuation = 0x0;
constexpr std::uint8_t kText = 0x1;
constexpr std::uint8_t kBinary = 0x2;
constexpr std::uint8_t kClose = 0x8;
constexpr std::uint8_t kPing = 0x9;
constexpr std::uint8_t kPong = 0xa;
constexpr std::uint8_t kRsv1 = 0x40;
constexpr std::uint8_t kRsv2 = 0x20;

constexpr std::size_t kKept = 64;
constexpr std::uint64_t kMaxMessage = 256;

// A frame as a client sends it; the options build what a broken client would.
struct FrameSpec {
  std::uint8_t opcode = kText;
  std::string payload;
  bool fin = true;
  std::uint8_t rsv = 0;
  bool masked = true;
  int length_form = 0;  // 0: shortest; 2 or 8: that many length bytes whatever the size
};

std::string Frame(const FrameSpec& spec) {
  std::string out;
  out.push_back(static_cast<char>((spec.fin ? 0x80 : 0) | spec.rsv | spec.opcode));
  const std::uint8_t mask_bit = spec.masked ? 0x80 : 0;
  const std::size_t size = spec.payload.size();
  int form = spec.length_form;
  if (form == 0) {
    form = size < 126 ? 1 : size <= 0xffff ? 2 : 8;
  }
  if (form == 1) {
    out.push_back(static_cast<char>(mask_bit | size));
  } else {
    out.push_back(static_cast<char>(mask_bit | (form == 2 ? 126 : 127)));
    for (int i = form - 1; i >= 0; --i) {
      out.push_back(static_cast<char>((static_cast<std::uint64_t>(size) >> (8 * i)) & 0xff));
    }
  }
  const std::uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  if (spec.masked) {
    out.append(reinterpret_cast<const char*>(key), 4);
  }
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(spec.masked ? static_cast<char>(spec.payload[i] ^ key[i % 4]) : spec.payload[i]);
  }
  return out;
}

std::string Text(const std::string& text, bool fin = true) {
  return Frame({.opcode = kText, .payload = text, .fin = fin});
}
std::string Continuation(const std::string& text, bool fin = true) {
  return Frame({.opcode = kContinuation, .payload = text, .fin = fin});
}
std::string CloseFrame(const std::string& payload) {
  return Frame({.opcode = kClose, .payload = payload});
}
std::string CloseWith(std::uint16_t code, const std::string& reason = "") {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  return CloseFrame(payload + reason);
}

struct Recorder : FrameReader::Handler {
  bool OnMessage(const FrameReader::Message& message) override {
    if (message.binary) {
      events.push_back(absl::StrCat(message.oversize ? "oversize " : "", "binary ",
                                    message.bytes));
    } else if (message.oversize) {
      events.push_back(absl::StrCat("oversize ", message.bytes));
    } else {
      events.push_back(absl::StrCat("text ", message.text));
    }
    return !stop_after_message;
  }
  void OnPing(absl::string_view payload) override {
    events.push_back(absl::StrCat("ping ", payload));
  }
  void OnPong(absl::string_view payload) override {
    events.push_back(absl::StrCat("pong ", payload));
  }
  std::vector<std::string> events;
  bool stop_after_message = false;
};

// A reader fed as the session feeds it, with what it reported.
class Harness {
 public:
  explicit Harness(bool deflate = false)
      : reader_({.max_kept_bytes = kKept, .max_message_bytes = kMaxMessage},
                deflate ? std::make_unique<FrameInflater>(15, true) : nullptr) {}

  FrameReader::Result Feed(std::string bytes) {
    return reader_.Feed(bytes.data(), bytes.size(), recorder_);
  }
  // One byte at a time: every split a slow network could make.
  FrameReader::Result FeedByteByByte(const std::string& bytes) {
    FrameReader::Result result = FrameReader::Result::kMore;
    for (char byte : bytes) {
      result = reader_.Feed(&byte, 1, recorder_);
      if (result != FrameReader::Result::kMore) {
        break;
      }
    }
    return result;
  }
  void ExpectFailure(const std::string& bytes, std::uint16_t code) {
    EXPECT_EQ(Feed(bytes), FrameReader::Result::kFailed);
    EXPECT_EQ(reader_.failure_code(), code) << reader_.failure();
  }

  FrameReader reader_;
  Recorder recorder_;
};

class FrameReaderTest : public ::testing::Test, public Harness {};

using Result = FrameReader::Result;
using Events = std::vector<std::string>;

TEST_F(FrameReaderTest, ReadsAMaskedTextMessage) {
  EXPECT_EQ(Feed(Text("hello") + Text("again")), Result::kMore);
  EXPECT_EQ(recorder_.events, (Events{"text hello", "text again"}));
}

TEST_F(FrameReaderTest, JoinsFragmentsWithControlFramesBetweenThem) {
  const std::string frames = Text("one ", false) + Frame({.opcode = kPing, .payload = "p1"}) +
                             Continuation("two ", false) +
                             Frame({.opcode = kPong, .payload = "p2"}) + Continuation("three");
  EXPECT_EQ(Feed(frames), Result::kMore);
  EXPECT_EQ(recorder_.events, (Events{"ping p1", "pong p2", "text one two three"}));
}

TEST_F(FrameReaderTest, ReadsTheSameWhenBytesComeOneAtATime) {
  const std::string frames = Text("a", false) + Frame({.opcode = kPing, .payload = "x"}) +
                             Continuation(std::string(200, 'b'), false) + Continuation("") +
                             Frame({.opcode = kText, .payload = std::string(60, 'c'),
                                    .length_form = 0});
  EXPECT_EQ(FeedByteByByte(frames), Result::kMore);
  EXPECT_EQ(recorder_.events,
            (Events{"ping x", "oversize 201", absl::StrCat("text ", std::string(60, 'c'))}));
}

TEST_F(FrameReaderTest, AcceptsACharacterSplitAcrossFragments) {
  EXPECT_EQ(Feed(Text("\xe2\x82", false) + Continuation("\xac")), Result::kMore);
  EXPECT_EQ(recorder_.events, Events{"text \xe2\x82\xac"});
}

TEST_F(FrameReaderTest, RefusesInvalidUtf8SplitAcrossFragmentsWith1007) {
  EXPECT_EQ(Feed(Text("ok \xe2\x82", false)), Result::kMore);
  ExpectFailure(Continuation("\x28"), 1007);
  EXPECT_TRUE(recorder_.events.empty());
}

TEST_F(FrameReaderTest, RefusesTextEndingInsideACharacterWith1007) {
  ExpectFailure(Text("ends in \xe2\x82"), 1007);
}

TEST_F(FrameReaderTest, ChecksUtf8OfDiscardedTextToo) {
  ExpectFailure(Text(std::string(kKept + 10, 'a') + "\xff"), 1007);
}

TEST_F(FrameReaderTest, RefusesAnUnmaskedFrameWith1002) {
  ExpectFailure(Frame({.opcode = kText, .payload = "hi", .masked = false}), 1002);
}

TEST_F(FrameReaderTest, RefusesReservedBitsAndOpcodesWith1002) {
  for (const std::string& frame :
       {Frame({.payload = "x", .rsv = kRsv1}),  // no permessage-deflate agreed
        Frame({.payload = "x", .rsv = kRsv2}), Frame({.opcode = 0x3, .payload = "x"}),
        Frame({.opcode = 0xb, .payload = ""}),
        Frame({.opcode = kPing, .payload = "", .rsv = kRsv1})}) {
    Harness fresh;
    fresh.ExpectFailure(frame, 1002);
  }
}

TEST_F(FrameReaderTest, RefusesContinuationsOutOfPlaceWith1002) {
  ExpectFailure(Continuation("stray"), 1002);
  Harness fresh;
  fresh.ExpectFailure(Text("first", false) + Text("second"), 1002);
}

TEST_F(FrameReaderTest, RefusesFragmentedOrLongControlFramesWith1002) {
  ExpectFailure(Frame({.opcode = kPing, .payload = "x", .fin = false}), 1002);
  Harness fresh;
  fresh.ExpectFailure(Frame({.opcode = kPing, .payload = std::string(126, 'x')}), 1002);
}

TEST_F(FrameReaderTest, RefusesLengthsNotInTheirShortestFormWith1002) {
  ExpectFailure(Frame({.payload = "short", .length_form = 2}), 1002);
  Harness fresh;
  fresh.ExpectFailure(Frame({.payload = std::string(200, 'a'), .length_form = 8}), 1002);
}

TEST_F(FrameReaderTest, ReadsAndReportsAnOversizeMessageThenCarriesOn) {
  EXPECT_EQ(Feed(Text(std::string(kKept + 1, 'a')) + Text("next")), Result::kMore);
  EXPECT_EQ(recorder_.events, (Events{absl::StrCat("oversize ", kKept + 1), "text next"}));
}

TEST_F(FrameReaderTest, FailsAMessageOverTheLimitWith1009AtItsHeader) {
  // Only the header and a little: the reader must not wait for the rest to fail.
  const std::string frame = Text(std::string(kMaxMessage + 1, 'a'));
  ExpectFailure(frame.substr(0, 20), 1009);
  Harness fresh;  // the limit counts the fragments together
  fresh.ExpectFailure(Text(std::string(kMaxMessage / 2, 'a'), false) +
                          Continuation(std::string(kMaxMessage / 2 + 1, 'a')),
                      1009);
}

TEST_F(FrameReaderTest, ReportsBinaryMessagesWithoutTheirBytes) {
  EXPECT_EQ(Feed(Frame({.opcode = kBinary, .payload = std::string("\x00\xff", 2)})),
            Result::kMore);
  EXPECT_EQ(recorder_.events, Events{"binary 2"});
}

TEST_F(FrameReaderTest, ReadsACloseFrameWithItsCodeAndReason) {
  EXPECT_EQ(Feed(Text("last") + CloseWith(4001, "bye") + Text("ignored")), Result::kClosed);
  EXPECT_EQ(reader_.close_code(), 4001);
  EXPECT_EQ(reader_.close_reason(), "bye");
  EXPECT_EQ(recorder_.events, Events{"text last"});
}

TEST_F(FrameReaderTest, AnEmptyCloseFrameHasNoCode) {
  EXPECT_EQ(Feed(CloseFrame("")), Result::kClosed);
  EXPECT_EQ(reader_.close_code(), 0);
}

TEST_F(FrameReaderTest, AcceptsTheCloseCodesBeastAccepted) {
  for (std::uint16_t code : {1000, 1001, 1011, 1013, 3000, 4999, 5000}) {
    SCOPED_TRACE(code);
    Harness fresh;
    EXPECT_EQ(fresh.Feed(CloseWith(code)), Result::kClosed);
    EXPECT_EQ(fresh.reader_.close_code(), code);
  }
}

TEST_F(FrameReaderTest, RefusesBadCloseFramesWith1002) {
  for (std::uint16_t code : {0, 999, 1004, 1005, 1006, 1014, 1015, 1016, 2999}) {
    SCOPED_TRACE(code);
    Harness fresh;
    fresh.ExpectFailure(CloseWith(code), 1002);
  }
  ExpectFailure(CloseFrame("x"), 1002);  // one byte: half a code
  Harness fresh;
  fresh.ExpectFailure(CloseWith(1000, "\xc3\x28"), 1002);
}

TEST_F(FrameReaderTest, StopsAfterAMessageWhenAskedAndResumesWithTheRest) {
  recorder_.stop_after_message = true;
  EXPECT_EQ(Feed(Text("first") + Text("second") + Text("thi", false)), Result::kStopped);
  EXPECT_EQ(recorder_.events, Events{"text first"});
  EXPECT_GT(reader_.held_bytes(), 0u);
  EXPECT_EQ(reader_.Resume(recorder_), Result::kStopped);
  recorder_.stop_after_message = false;
  EXPECT_EQ(reader_.Resume(recorder_), Result::kMore);
  EXPECT_EQ(Feed(Continuation("rd")), Result::kMore);
  EXPECT_EQ(recorder_.events, (Events{"text first", "text second", "text third"}));
  EXPECT_EQ(reader_.held_bytes(), 0u);
}

class CompressedFrameReaderTest : public ::testing::Test, public Harness {
 protected:
  CompressedFrameReaderTest() : Harness(/*deflate=*/true) {}
  BrowserDeflater deflater_;
};

TEST_F(CompressedFrameReaderTest, InflatesMessagesWithTheContextKeptBetweenThem) {
  const std::string first = deflater_.Compress("hello hello hello");
  const std::string second = deflater_.Compress("hello hello hello again");  // refers back
  const std::string split = first.substr(0, 3);
  EXPECT_EQ(Feed(Frame({.payload = split, .fin = false, .rsv = kRsv1}) +
                 Frame({.opcode = kPing, .payload = "p"}) +
                 Continuation(first.substr(3)) + Frame({.payload = second, .rsv = kRsv1}) +
                 Text("plain")),
            Result::kMore);
  EXPECT_EQ(recorder_.events, (Events{"ping p", "text hello hello hello",
                                      "text hello hello hello again", "text plain"}));
}

TEST_F(CompressedFrameReaderTest, MeasuresACompressedMessageInflated) {
  EXPECT_EQ(Feed(Frame({.payload = deflater_.Compress(std::string(kKept + 5, 'z')),
                        .rsv = kRsv1})),
            Result::kMore);
  EXPECT_EQ(recorder_.events, Events{absl::StrCat("oversize ", kKept + 5)});
  ExpectFailure(Frame({.payload = deflater_.Compress(std::string(kMaxMessage + 1, 'z')),
                       .rsv = kRsv1}),
                1009);
}

TEST_F(CompressedFrameReaderTest, ChecksUtf8OfTheInflatedText) {
  ExpectFailure(Frame({.payload = deflater_.Compress("bad \xff text"), .rsv = kRsv1}), 1007);
}

TEST_F(CompressedFrameReaderTest, DropsTheConnectionOnDataZlibRefuses) {
  ExpectFailure(Frame({.payload = std::string("\xff\xff\xff\xff", 4), .rsv = kRsv1}), 0);
}

}  // namespace
}  // namespace frame_reader_test
}  // namespace wsbridge
