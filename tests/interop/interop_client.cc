// The C++ side of the interop test: joins a room, answers the Python bot's ping with a
// pong, waits for "bye", leaves. Exits 0 only if every step happened in time.

#include <cstdio>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "tests/support/chat_test_client.h"

ABSL_FLAG(std::string, target, "127.0.0.1:50051", "roomd address");
ABSL_FLAG(std::string, room, "interop", "room to join");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(20), "how long to wait for each step");

namespace {

int Fail(const char* step) {
  std::fprintf(stderr, "interop client: failed at: %s\n", step);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Duration timeout = absl::GetFlag(FLAGS_timeout);
  roomd::testing::ChatTestClient client(
      grpc::CreateChannel(absl::GetFlag(FLAGS_target), grpc::InsecureChannelCredentials()));
  if (!client.Join(absl::GetFlag(FLAGS_room), "cpp.client@example.com", "cppclient")) {
    return Fail("join");
  }
  std::optional<chat::v1::ServerEvent> welcome = client.WaitFor(roomd::testing::IsWelcome(), timeout);
  if (!welcome || welcome->welcome().self().name() != "cppclient") {
    return Fail("welcome");
  }
  std::optional<chat::v1::ServerEvent> ping =
      client.WaitFor(roomd::testing::IsMessage("ping from python"), timeout);
  if (!ping || ping->message().from().name() != "PyBot") {
    return Fail("ping");
  }
  if (!client.Send("pong from c++", "cpp-1")) {
    return Fail("send pong");
  }
  std::optional<chat::v1::ServerEvent> echo =
      client.WaitFor(roomd::testing::IsMessage("pong from c++"), timeout);
  if (!echo || echo->message().client_id() != "cpp-1" ||
      echo->message().seq() <= ping->message().seq()) {
    return Fail("pong echo");
  }
  if (!client.WaitFor(roomd::testing::IsMessage("bye"), timeout)) {
    return Fail("bye");
  }
  client.Leave();
  const grpc::Status status = client.WaitForFinish(timeout);
  if (!status.ok()) {
    return Fail("leave");
  }
  std::printf("interop client: ok\n");
  return 0;
}
