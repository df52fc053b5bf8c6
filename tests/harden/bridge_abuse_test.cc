// The bridge under abuse: a flood of frames from one socket, hundreds of sockets from one
// address, a TCP client that never speaks, and the event-level bad input (second join,
// empty/blank/oversize text, bad room) through the browser's path. The offender alone is
// affected: a well-behaved browser in the same room gets every message in order.

#include <poll.h>

#include <memory>
#include <utility>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/bridge_fixture.h"
#include "tests/support/http_test_client.h"

namespace wsbridge::testing {
namespace {

// Reads `texts` from `client` in that order, with consecutive seqs between them.
void ExpectMessagesInOrder(WsTestClient& client, const std::vector<std::string>& texts) {
  long long last_seq = 0;
  size_t next = 0;
  while (next < texts.size()) {
    auto event = client.ReadEvent(IsAnyMessage());
    ASSERT_TRUE(event.ok()) << "missing " << texts[next] << ": " << event.status();
    const long long seq = std::stoll(Str(*event, {"message", "seq"}));
    if (last_seq != 0) {
      ASSERT_EQ(seq, last_seq + 1) << "a gap or reorder before seq " << seq;
    }
    last_seq = seq;
    if (Str(*event, {"message", "text"}) == texts[next]) {
      ++next;
    }
  }
}

class BridgeAbuseTest : public BridgeFixture {
 protected:
  BridgeAbuseTest() {
    // roomd's real default rate limit: the flood must meet it.
    roomd_options_.rate_per_second = 20;
    roomd_options_.rate_burst = 40;
    bridge_options_.max_connections_per_address = 8;
    bridge_options_.handshake_timeout = absl::Milliseconds(500);
  }
};

TEST_F(BridgeAbuseTest, FloodFromOneSocketIsRateLimitedAndOthersGetEverything) {
  auto ann = Joined("lobby", "ann@example.com");
  auto bob = Joined("lobby", "bob@example.com");
  auto flood = Joined("lobby", "flood@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  ASSERT_NE(flood, nullptr);
  std::vector<std::string> texts;
  constexpr int kFrames = 2000;
  for (int i = 0; i < kFrames; ++i) {
    // The flooder never reads; once the bridge stops reading it, sends may time out.
    if (!flood->SendText(absl::StrCat(R"({"send":{"text":"spam )", i, R"("}})")).ok()) {
      break;
    }
    if (i % 100 == 0) {
      texts.push_back(absl::StrCat("bob ", i));
      ASSERT_TRUE(bob->Send(texts.back()).ok());
    }
  }
  texts.push_back("bob after the flood");
  ASSERT_TRUE(bob->Send(texts.back()).ok());
  ExpectMessagesInOrder(*ann, texts);
  // The flooder was told: rate-limit errors (or, had it filled its queue, a 4008 close).
  auto limited = flood->ReadEvent(IsError("RESOURCE_EXHAUSTED"));
  if (!limited.ok()) {
    EXPECT_TRUE(absl::StrContains(limited.status().message(), "4008")) << limited.status();
  } else {
    EXPECT_TRUE(absl::StrContains(Str(*limited, {"error", "message"}), "rate limit"));
  }
}

TEST_F(BridgeAbuseTest, SocketsFromOneAddressAreCappedWith429) {
  auto ann = Joined("lobby", "ann@example.com");
  auto bob = Joined("lobby", "bob@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(bob, nullptr);
  std::vector<std::unique_ptr<WsTestClient>> held;
  std::vector<std::string> texts;
  int refused = 0;
  constexpr int kSockets = 500;
  for (int i = 0; i < kSockets; ++i) {
    auto client = WsTestClient::Connect(bridge_port());
    if (client.ok()) {
      held.push_back(*std::move(client));
    } else {
      EXPECT_TRUE(absl::StrContains(client.status().message(), "HTTP 429")) << client.status();
      ++refused;
    }
    if (i % 50 == 0) {
      texts.push_back(absl::StrCat("ann ", i));
      ASSERT_TRUE(ann->Send(texts.back()).ok());
    }
  }
  EXPECT_EQ(held.size(), 6u);  // 8 per address, ann and bob hold two
  EXPECT_EQ(refused, kSockets - 6);
  // Plain HTTP is counted too, and says why.
  auto page = HttpGet(bridge_port(), "/");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->status, 429);
  EXPECT_TRUE(absl::StrContains(page->body, "too many connections from your address (limit 8)"))
      << page->body;
  ExpectMessagesInOrder(*bob, texts);
  // Closing frees the slots: a new browser gets in again.
  for (auto& client : held) {
    (void)client->Close(boost::beast::websocket::close_code::normal);
  }
  held.clear();
  absl::StatusOr<std::unique_ptr<WsTestClient>> again;
  for (int attempt = 0; attempt < 100; ++attempt) {
    again = WsTestClient::Connect(bridge_port());
    if (again.ok()) {
      break;
    }
    ASSERT_TRUE(absl::StrContains(again.status().message(), "HTTP 429")) << again.status();
    // Slots come back as the closed sessions finish; wait for the next frame instead of time.
    (void)bob->ReadFrame(absl::Milliseconds(50));
  }
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE((*again)->Join("lobby", "carol@example.com").ok());
  EXPECT_TRUE((*again)->ReadEvent(IsWelcome()).ok());
}

TEST_F(BridgeAbuseTest, ClientThatNeverSpeaksIsDisconnectedAfterTheHandshakeTimeout) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::socket silent(ioc);
  silent.connect({boost::asio::ip::make_address("127.0.0.1"),
                  static_cast<unsigned short>(bridge_port())});
  // The bridge closes it: the read sees end of file well before our own deadline.
  pollfd entry{silent.native_handle(), POLLIN, 0};
  ASSERT_EQ(poll(&entry, 1, static_cast<int>(absl::ToInt64Milliseconds(kWait))), 1)
      << "the silent connection was never closed";
  char byte = 0;
  boost::system::error_code ec;
  EXPECT_EQ(silent.read_some(boost::asio::buffer(&byte, 1), ec), 0u);
  EXPECT_EQ(ec, boost::asio::error::eof) << ec.message();
  ASSERT_TRUE(ann->Send("still here").ok());
  EXPECT_TRUE(ann->ReadEvent(IsMessage("still here")).ok());
}

TEST_F(BridgeAbuseTest, EventLevelBadInputGetsDocumentedErrors) {
  auto ann = Joined("lobby", "ann@example.com");
  auto rude = Joined("lobby", "rude@example.com");
  ASSERT_NE(ann, nullptr);
  ASSERT_NE(rude, nullptr);
  std::vector<std::string> texts;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"join":{"room":"other","email":"rude@example.com"}})", "FAILED_PRECONDITION"},
      {R"({"send":{"text":"","clientId":"c-1"}})", "INVALID_ARGUMENT"},
      {R"({"send":{"text":"   ","clientId":"c-2"}})", "INVALID_ARGUMENT"},
      {absl::StrCat(R"({"send":{"text":")", std::string(5000, 'x'), R"(","clientId":"c-3"}})"),
       "INVALID_ARGUMENT"},
  };
  for (const auto& [frame, code] : cases) {
    SCOPED_TRACE(frame.substr(0, 60));
    ASSERT_TRUE(rude->SendText(frame).ok());
    auto error = rude->ReadEvent(IsError(code));
    ASSERT_TRUE(error.ok()) << error.status();
    EXPECT_NE(Str(*error, {"error", "message"}), "");
    texts.push_back(absl::StrCat("rude still here ", texts.size()));
    ASSERT_TRUE(rude->Send(texts.back()).ok());
  }
  ExpectMessagesInOrder(*ann, texts);
}

TEST_F(BridgeAbuseTest, BadRoomNameEndsOnlyThatConnectionWith4003) {
  auto ann = Joined("lobby", "ann@example.com");
  ASSERT_NE(ann, nullptr);
  const std::vector<std::string> rooms = {"", "has space", "../etc", std::string(65, 'r')};
  for (const std::string& room : rooms) {
    auto client = Connect();
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Join(room, "rude@example.com").ok());
    auto closed = client->ReadClose();
    ASSERT_TRUE(closed.ok()) << closed.status();
    EXPECT_EQ(closed->code, 4003) << room;
    EXPECT_NE(std::string(closed->reason.data(), closed->reason.size()), "");
  }
  ASSERT_TRUE(ann->Send("unbothered").ok());
  EXPECT_TRUE(ann->ReadEvent(IsMessage("unbothered")).ok());
}

}  // namespace
}  // namespace wsbridge::testing
