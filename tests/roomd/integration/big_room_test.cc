// A big room over real Chat streams: after a storm of joins and leaves, a member that keeps
// the online list from Presence ticks and in-band presence_page requests ends exact, and so
// do GetPresence's pages.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/support/roomd_fixture.h"

namespace roomd::testing {
namespace {

constexpr char kRoom[] = "big";

// The online list a client keeps, as web/online_list.js keeps it (loading every page).
class ListKeeper {
 public:
  explicit ListKeeper(ChatTestClient* client) : client_(client) {}

  void Welcome(const chat::v1::Welcome& welcome) {
    for (const chat::v1::User& user : welcome.online()) {
      names_.insert(user.name());
    }
    count_ = welcome.online_count();
    if (!welcome.online_next_page_token().empty()) {
      Ask(welcome.online_next_page_token());
    }
  }

  // Reads events until the list and count are `want`; false after the deadline.
  bool SettleOn(const std::set<std::string>& want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (!(asked_ == std::nullopt && names_ == want && count_ == want.size())) {
      if (absl::Now() >= deadline) {
        return false;
      }
      std::optional<chat::v1::ServerEvent> event = client_->Next(deadline - absl::Now());
      if (!event.has_value()) {
        return false;
      }
      Apply(*event);
    }
    return true;
  }

  const std::set<std::string>& names() const { return names_; }
  uint32_t count() const { return count_; }
  int truncated_ticks() const { return truncated_ticks_; }
  int ticks() const { return ticks_; }

 private:
  void Apply(const chat::v1::ServerEvent& event) {
    if (event.has_presence_page()) {
      const chat::v1::GetPresenceResponse& page = event.presence_page();
      if (asked_ == std::string()) {
        names_.clear();
      }
      asked_.reset();
      for (const chat::v1::User& user : page.online()) {
        names_.insert(user.name());
      }
      count_ = page.online_count();
      if (!page.next_page_token().empty()) {
        Ask(page.next_page_token());
      } else if (stale_) {
        stale_ = false;
        Ask("");
      }
      return;
    }
    if (!event.has_presence()) {
      return;
    }
    const chat::v1::Presence& p = event.presence();
    if (p.has_joined()) {
      names_.insert(p.joined().name());
    }
    if (p.has_left()) {
      names_.erase(p.left().name());
    }
    ticks_ += p.joined_users_size() + p.left_users_size() > 0 || p.truncated() ? 1 : 0;
    for (const chat::v1::User& user : p.joined_users()) {
      names_.insert(user.name());
    }
    for (const chat::v1::User& user : p.left_users()) {
      names_.erase(user.name());
    }
    count_ = p.online_count();
    if (p.truncated()) {
      ++truncated_ticks_;
      if (asked_.has_value()) {
        stale_ = true;  // after the page in flight
      } else {
        Ask("");
      }
    }
  }

  void Ask(const std::string& token) {
    chat::v1::ClientEvent event;
    event.mutable_presence_page()->set_page_token(token);
    ASSERT_TRUE(client_->Write(event));
    asked_ = token;
  }

  ChatTestClient* const client_;
  std::set<std::string> names_;
  uint32_t count_ = 0;
  std::optional<std::string> asked_;  // the token of the page in flight
  bool stale_ = false;
  int truncated_ticks_ = 0;
  int ticks_ = 0;
};

class BigRoomTest : public RoomdTest {
 protected:
  void SetUp() override {
    ServerOptions options = TestOptions();
    options.presence_coalesce_above = 5;
    options.presence_interval = absl::Milliseconds(20);
    options.presence_max_users = 8;
    options.presence_page_size = 10;
    StartServer(options);
  }

  std::unique_ptr<ChatTestClient> Member(const std::string& name) {
    auto client = std::make_unique<ChatTestClient>(channel_);
    EXPECT_TRUE(client->Join(kRoom, name + "@example.com"));
    return client;
  }

  // Every page of GetPresence, chained by token.
  std::set<std::string> PagedPresence(uint32_t* count) {
    std::set<std::string> names;
    std::string token;
    do {
      chat::v1::GetPresenceRequest request;
      request.set_room(kRoom);
      request.set_page_size(7);
      request.set_page_token(token);
      chat::v1::GetPresenceResponse response;
      grpc::ClientContext context;
      context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(20)));
      const grpc::Status status = stub_->GetPresence(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (!status.ok()) {
        break;
      }
      EXPECT_LE(response.online_size(), 7);
      for (const chat::v1::User& user : response.online()) {
        names.insert(user.name());
      }
      *count = response.online_count();
      token = response.next_page_token();
    } while (!token.empty());
    return names;
  }
};

TEST_F(BigRoomTest, AfterAStormOfJoinsAndLeavesEveryListIsExact) {
  chat::v1::ServerEvent welcome;
  auto watcher = std::make_unique<ChatTestClient>(channel_);
  ASSERT_TRUE(watcher->Join(kRoom, "watcher@example.com"));
  ListKeeper early(watcher.get());
  {
    std::optional<chat::v1::ServerEvent> w = watcher->WaitForWelcome();
    ASSERT_TRUE(w.has_value());
    early.Welcome(w->welcome());
  }
  std::set<std::string> want = {"watcher"};
  // The storm: 40 join without waiting for each other, then 15 leave while 15 join.
  std::vector<std::unique_ptr<ChatTestClient>> members;
  for (int i = 0; i < 40; ++i) {
    members.push_back(Member(absl::StrCat("m", i)));
    want.insert(absl::StrCat("m", i));
  }
  for (auto& member : members) {
    ASSERT_TRUE(member->WaitForWelcome().has_value());
  }
  std::unique_ptr<ChatTestClient> late;
  for (int i = 0; i < 15; ++i) {
    ASSERT_TRUE(members[i]->Leave());
    want.erase(absl::StrCat("m", i));
    members.push_back(Member(absl::StrCat("n", i)));
    want.insert(absl::StrCat("n", i));
    if (i == 7) {
      late = Member("late");  // joins mid-storm; its Welcome is a first page only
      want.insert("late");
    }
  }
  for (int i = 0; i < 15; ++i) {
    EXPECT_TRUE(members[i]->WaitForFinish().ok());
  }
  std::optional<chat::v1::ServerEvent> late_welcome = late->WaitForWelcome();
  ASSERT_TRUE(late_welcome.has_value());
  EXPECT_EQ(late_welcome->welcome().online_size(), 10);
  EXPECT_FALSE(late_welcome->welcome().online_next_page_token().empty());
  ListKeeper late_list(late.get());
  late_list.Welcome(late_welcome->welcome());

  EXPECT_TRUE(early.SettleOn(want)) << early.names().size() << " names, count " << early.count();
  EXPECT_TRUE(late_list.SettleOn(want))
      << late_list.names().size() << " names, count " << late_list.count();
  EXPECT_GT(early.ticks(), 0);  // the storm came as ticks, not an event per join
  uint32_t count = 0;
  EXPECT_EQ(PagedPresence(&count), want);
  EXPECT_EQ(count, want.size());
}

TEST_F(BigRoomTest, AForeignPageTokenGetsAnErrorAndTheStreamStays) {
  auto member = Member("ann");
  ASSERT_TRUE(member->WaitForWelcome().has_value());
  chat::v1::ClientEvent event;
  event.mutable_presence_page()->set_page_token("nonsense");
  ASSERT_TRUE(member->Write(event));
  EXPECT_TRUE(member->WaitFor(IsError("INVALID_ARGUMENT")).has_value());
  event.mutable_presence_page()->clear_page_token();
  ASSERT_TRUE(member->Write(event));
  std::optional<chat::v1::ServerEvent> page =
      member->WaitFor([](const chat::v1::ServerEvent& e) { return e.has_presence_page(); });
  ASSERT_TRUE(page.has_value());
  EXPECT_EQ(page->presence_page().online_count(), 1u);
  EXPECT_EQ(page->presence_page().online(0).name(), "ann");
}

// A presence_page request is answered by its page alone: it once fell through into the
// history_page handler and also sent the newest history page.
TEST_F(BigRoomTest, APresencePageRequestGetsItsPageAndNothingElse) {
  auto member = Member("ann");
  ASSERT_TRUE(member->WaitForWelcome().has_value());
  chat::v1::ClientEvent event;
  event.mutable_presence_page();
  ASSERT_TRUE(member->Write(event));
  chat::v1::ClientEvent marker;
  marker.mutable_send()->set_text("marker");
  ASSERT_TRUE(member->Write(marker));
  int pages = 0;
  for (;;) {
    std::optional<chat::v1::ServerEvent> next = member->Next();
    ASSERT_TRUE(next.has_value()) << "no echo of the marker";
    EXPECT_FALSE(next->has_history_page()) << next->ShortDebugString();
    EXPECT_FALSE(next->has_error()) << next->ShortDebugString();
    pages += next->has_presence_page() ? 1 : 0;
    if (next->has_message() && next->message().text() == "marker") break;
  }
  EXPECT_EQ(pages, 1);
}

}  // namespace
}  // namespace roomd::testing
