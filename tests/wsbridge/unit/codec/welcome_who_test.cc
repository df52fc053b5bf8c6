#include "wsbridge/codec/welcome_who.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

#include "wsbridge/codec/json_codec.h"

namespace wsbridge {
namespace {

chat::v1::User MakeUser(const std::string& id, const std::string& name) {
  chat::v1::User user;
  user.set_id(id);
  user.set_name(name);
  user.set_avatar_url(absl::StrCat("https://www.gravatar.com/avatar/", id, "?d=identicon"));
  return user;
}

// The frame the bridge sends: the Welcome as the codec prints it.
std::string WelcomeFrame(const chat::v1::Welcome& welcome) {
  chat::v1::ServerEvent event;
  *event.mutable_welcome() = welcome;
  absl::StatusOr<Frame> frame = JsonCodec().EncodeServerEvent(event);
  EXPECT_TRUE(frame.ok()) << frame.status();
  return frame.ok() ? **frame : std::string();
}

TEST(WelcomeWhoTest, ReadsRoomAndSelfOfABigRoomsWelcome) {
  chat::v1::Welcome welcome;
  *welcome.mutable_self() = MakeUser("aa11", "ann");
  welcome.set_room("launch");
  for (int i = 0; i < 100; ++i) {
    *welcome.add_online() = MakeUser(absl::StrCat("b", i), absl::StrCat("user", i));
  }
  welcome.set_online_count(5000);
  welcome.set_online_next_page_token("b99:user99");
  welcome.add_history()->set_text("hello");
  welcome.set_last_seq(7);
  const WelcomeWho who = WhoOfWelcome(WelcomeFrame(welcome));
  EXPECT_EQ(who.room, "launch");
  EXPECT_EQ(who.user_id, "aa11");
}

TEST(WelcomeWhoTest, AListLookingTextInANameDoesNotCutTheFrame) {
  // The name holds `,"online":` as text; printed, its quotes are escaped, so it is not where
  // the head ends.
  chat::v1::Welcome welcome;
  *welcome.mutable_self() = MakeUser("cc33", R"(x,"online":[],"room":"evil"})");
  welcome.set_room("lobby");
  *welcome.add_online() = welcome.self();
  const WelcomeWho who = WhoOfWelcome(WelcomeFrame(welcome));
  EXPECT_EQ(who.room, "lobby");
  EXPECT_EQ(who.user_id, "cc33");
}

TEST(WelcomeWhoTest, AWelcomeWithoutAnOnlineListIsReadWhole) {
  chat::v1::Welcome welcome;
  *welcome.mutable_self() = MakeUser("dd44", "dee");
  welcome.set_room("quiet");
  const WelcomeWho who = WhoOfWelcome(WelcomeFrame(welcome));
  EXPECT_EQ(who.room, "quiet");
  EXPECT_EQ(who.user_id, "dd44");
}

TEST(WelcomeWhoTest, OtherFramesAndBrokenJsonSayNothing) {
  for (const char* frame :
       {R"({"message":{"room":"lobby"}})", R"({"welcome":{"self":{"id":)", "", "not json"}) {
    const WelcomeWho who = WhoOfWelcome(frame);
    EXPECT_EQ(who.room, "") << frame;
    EXPECT_EQ(who.user_id, "") << frame;
  }
}

}  // namespace
}  // namespace wsbridge
