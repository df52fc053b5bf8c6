#pragma once

// A browser stand-in for tests: one Beast WebSocket client on its own io_context, driven
// from the test thread. Every call waits on the operation itself, bounded by a deadline;
// nothing sleeps.

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace wsbridge::testing {

inline constexpr absl::Duration kWait = absl::Seconds(10);

class WsTestClient {
 public:
  struct Options {
    std::string target = "/chat";
    std::string origin;            // sent as Origin when not empty
    int receive_buffer_bytes = 0;  // SO_RCVBUF before connecting (0: kernel default)
    bool deflate = false;          // offer permessage-deflate, as browsers do
  };
  using Event = boost::json::object;
  using Predicate = std::function<bool(const Event&)>;

  // Connects to 127.0.0.1:`port` and upgrades; a refused upgrade is an error.
  static absl::StatusOr<std::unique_ptr<WsTestClient>> Connect(int port, Options options);
  static absl::StatusOr<std::unique_ptr<WsTestClient>> Connect(int port) {
    return Connect(port, Options());
  }

  absl::Status SendText(absl::string_view text);
  absl::Status SendBinary(absl::string_view bytes);
  // One text message in fragments, one frame each; with `ping`, a ping carrying it goes
  // between the first two.
  absl::Status SendFragments(const std::vector<std::string>& parts, absl::string_view ping = {});
  // Bytes straight to the socket, for frames a WebSocket stream would refuse to write.
  absl::Status SendRaw(absl::string_view bytes);
  // {"join":{"room":..,"email":..}} and {"send":{"text":..}}.
  absl::Status Join(absl::string_view room, absl::string_view email);
  absl::Status Send(absl::string_view text);

  // The next frame's text. When the bridge closes, an error whose message holds the code.
  absl::StatusOr<std::string> ReadFrame(absl::Duration timeout = kWait);
  // The next event (batches are flattened) that matches; earlier ones are skipped.
  absl::StatusOr<Event> ReadEvent(const Predicate& predicate, absl::Duration timeout = kWait);
  // Reads (and drops) frames until the bridge closes; its close frame, or an error if the
  // connection ended without one.
  absl::StatusOr<boost::beast::websocket::close_reason> ReadClose(
      absl::Duration timeout = kWait);
  // Keeps reading (answering the bridge's pings, queueing any events for ReadEvent) until
  // `count` pings have arrived in all.
  absl::Status WaitForPings(int count, absl::Duration timeout = kWait);
  // Closes from this side with `code`.
  absl::Status Close(boost::beast::websocket::close_code code);

  // The upgrade response's Sec-WebSocket-Extensions ("" when none was agreed).
  const std::string& extensions() const { return extensions_; }
  bool closed() const { return closed_; }
  const boost::beast::websocket::close_reason& close_reason() const { return close_reason_; }
  int pings_received() const { return pings_; }
  int pongs_received() const { return pongs_; }
  const std::string& last_pong() const { return last_pong_; }
  // Frames read so far (each batch counts once).
  int frames_read() const { return frames_; }

 private:
  WsTestClient();
  // Runs the io_context until `done()` or the deadline; cancels the socket on timeout.
  absl::Status RunUntil(const std::function<bool()>& done, absl::Duration timeout,
                        absl::string_view what);
  absl::Status RunUntil(const bool& done, absl::Duration timeout, absl::string_view what) {
    return RunUntil([&done] { return done; }, timeout, what);
  }
  // One read at a time: started here, finished (and its frame taken) by FinishRead.
  void StartRead();
  absl::StatusOr<std::string> FinishRead();
  // Parses a frame into pending_ events (a batch becomes its inner events).
  absl::Status QueueFrame(const std::string& frame);

  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::deque<Event> pending_;  // events read but not handed out yet
  bool read_pending_ = false;
  bool read_done_ = false;
  boost::beast::error_code read_ec_;
  bool closed_ = false;
  boost::beast::websocket::close_reason close_reason_;
  int pings_ = 0;
  int pongs_ = 0;
  std::string last_pong_;
  int frames_ = 0;
  std::string extensions_;
};

// Predicates over ServerEvent JSON objects.
WsTestClient::Predicate IsWelcome();
WsTestClient::Predicate IsMessage(const std::string& text);
WsTestClient::Predicate IsAnyMessage();
WsTestClient::Predicate IsJoined(const std::string& name);
WsTestClient::Predicate IsLeft(const std::string& name);
WsTestClient::Predicate IsError(const std::string& code);

// A nested string field, e.g. Str(event, {"message", "from", "name"}); "" if absent.
std::string Str(const boost::json::object& event, std::initializer_list<const char*> path);

// A close frame's reason text.
std::string ReasonOf(const boost::beast::websocket::close_reason& reason);

}  // namespace wsbridge::testing
