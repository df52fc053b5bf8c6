#include "roomd/store/sqlite_store.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/mutex.h"
#include "tests/support/temp_dir.h"

namespace roomd {
namespace {

using ::chat::testing::TempDir;

chat::v1::ChatMessage Message(const std::string& room, uint64_t seq,
                              const std::string& client_id = "",
                              absl::Time sent_at = absl::Now(), size_t text_bytes = 10) {
  chat::v1::ChatMessage message;
  message.set_room(room);
  message.set_seq(seq);
  message.mutable_from()->set_id("u1");
  message.mutable_from()->set_name("ann");
  message.set_text(std::string(text_bytes, 'x'));
  message.set_client_id(client_id);
  const int64_t nanos = absl::ToUnixNanos(sent_at);
  message.mutable_sent_at()->set_seconds(nanos / 1000000000);
  message.mutable_sent_at()->set_nanos(static_cast<int32_t>(nanos % 1000000000));
  return message;
}

// Collects append outcomes from the writer thread; waits on them with a deadline.
class Outcomes {
 public:
  MessageStore::AppendCallback Callback(uint64_t seq) {
    return [this, seq](absl::Status status) {
      chat::MutexLock lock(&mu_);
      results_.emplace_back(seq, status);
      cv_.SignalAll();
    };
  }
  // The first `count` outcomes, or fewer at the deadline.
  std::vector<std::pair<uint64_t, absl::Status>> Wait(size_t count) {
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    chat::MutexLock lock(&mu_);
    while (results_.size() < count && absl::Now() < deadline) {
      cv_.WaitFor(&mu_, std::chrono::milliseconds(50));
    }
    return results_;
  }

 private:
  chat::Mutex mu_;
  chat::CondVar cv_;
  std::vector<std::pair<uint64_t, absl::Status>> results_ ABSL_GUARDED_BY(mu_);
};

std::vector<uint64_t> Seqs(const chat::v1::GetHistoryResponse& response) {
  std::vector<uint64_t> seqs;
  for (const auto& message : response.messages()) {
    seqs.push_back(message.seq());
  }
  return seqs;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<SqliteStore> Open(SqliteStore::Config config = {}) {
    config.path = dir_.File("history.db");
    absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(config);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Appends seqs [first, last] of `room` and waits until all are committed.
  void AppendRange(SqliteStore* store, const std::string& room, uint64_t first, uint64_t last) {
    Outcomes outcomes;
    for (uint64_t seq = first; seq <= last; ++seq) {
      ASSERT_TRUE(store->Append(Message(room, seq), outcomes.Callback(seq)).ok());
    }
    for (const auto& [seq, status] : outcomes.Wait(last - first + 1)) {
      ASSERT_TRUE(status.ok()) << seq << ": " << status;
    }
  }

  TempDir dir_;
};

TEST_F(SqliteStoreTest, CommitsInOrderAndSurvivesReopening) {
  {
    std::unique_ptr<SqliteStore> store = Open();
    ASSERT_NE(store, nullptr);
    Outcomes outcomes;
    for (uint64_t seq = 1; seq <= 300; ++seq) {
      ASSERT_TRUE(store->Append(Message("lobby", seq), outcomes.Callback(seq)).ok());
    }
    const auto results = outcomes.Wait(300);
    ASSERT_EQ(results.size(), 300u);
    for (size_t i = 0; i < results.size(); ++i) {
      EXPECT_EQ(results[i].first, i + 1);  // callbacks in append order
      EXPECT_TRUE(results[i].second.ok()) << results[i].second;
    }
    AppendRange(store.get(), "other", 1, 2);
  }
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  absl::StatusOr<StoredRoom> room = store->LoadRoom("lobby", 5);
  ASSERT_TRUE(room.ok()) << room.status();
  EXPECT_EQ(room->last_seq, 300u);
  ASSERT_EQ(room->recent.size(), 5u);
  EXPECT_EQ(room->recent.front().seq(), 296u);
  EXPECT_EQ(room->recent.back().seq(), 300u);
  EXPECT_EQ(room->recent.back().from().name(), "ann");
  absl::StatusOr<StoredRoom> none = store->LoadRoom("nobody", 5);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->last_seq, 0u);
  EXPECT_TRUE(none->recent.empty());

  absl::StatusOr<std::vector<chat::v1::RoomInfo>> rooms = store->ListRooms();
  ASSERT_TRUE(rooms.ok());
  ASSERT_EQ(rooms->size(), 2u);
  EXPECT_EQ((*rooms)[0].name(), "lobby");
  EXPECT_EQ((*rooms)[0].last_seq(), 300u);
  EXPECT_EQ((*rooms)[1].name(), "other");
}

TEST_F(SqliteStoreTest, PagesForwardAndBackwardAtAnyDepth) {
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  AppendRange(store.get(), "lobby", 1, 250);
  auto page = [&](uint64_t after, uint64_t before, uint32_t limit) {
    absl::StatusOr<chat::v1::GetHistoryResponse> response =
        store->History("lobby", after, before, limit);
    EXPECT_TRUE(response.ok()) << response.status();
    EXPECT_EQ(response->last_seq(), 250u);
    return Seqs(*response);
  };
  EXPECT_EQ(page(0, 0, 3), (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(page(247, 0, 10), (std::vector<uint64_t>{248, 249, 250}));
  EXPECT_EQ(page(0, 5, 10), (std::vector<uint64_t>{1, 2, 3, 4}));
  EXPECT_EQ(page(0, 200, 3), (std::vector<uint64_t>{197, 198, 199}));
  EXPECT_EQ(page(197, 200, 10), (std::vector<uint64_t>{198, 199}));
  EXPECT_EQ(page(0, 1, 10), std::vector<uint64_t>{});
  EXPECT_EQ(page(0, ~uint64_t{0}, 2), (std::vector<uint64_t>{249, 250}));
  // Walking back from the end reaches seq 1, each message once.
  std::vector<uint64_t> seen;
  uint64_t before = ~uint64_t{0};  // backward from the newest
  for (int pages = 0; pages < 100; ++pages) {
    std::vector<uint64_t> seqs = page(0, before, 40);
    if (seqs.empty()) {
      break;
    }
    seen.insert(seen.begin(), seqs.begin(), seqs.end());
    before = seqs.front();
  }
  ASSERT_EQ(seen.size(), 250u);
  for (size_t i = 0; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i], i + 1);
  }
}

TEST_F(SqliteStoreTest, FindsAMessageBySenderAndClientId) {
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  Outcomes outcomes;
  ASSERT_TRUE(store->Append(Message("lobby", 1, "c-1"), outcomes.Callback(1)).ok());
  ASSERT_TRUE(store->Append(Message("lobby", 2, ""), outcomes.Callback(2)).ok());
  ASSERT_EQ(outcomes.Wait(2).size(), 2u);
  absl::StatusOr<std::optional<chat::v1::ChatMessage>> found =
      store->FindByClientId("lobby", "u1", "c-1");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->seq(), 1u);
  EXPECT_FALSE(store->FindByClientId("lobby", "u2", "c-1")->has_value());
  EXPECT_FALSE(store->FindByClientId("other", "u1", "c-1")->has_value());
  EXPECT_FALSE(store->FindByClientId("lobby", "u1", "")->has_value());
}

TEST_F(SqliteStoreTest, RetentionKeepsEachRoomsLatestMessagesButNotItsSeq) {
  SqliteStore::Config config;
  config.retention_messages = 10;
  config.retention_sweep = absl::Hours(1);  // only when the test asks
  std::unique_ptr<SqliteStore> store = Open(config);
  ASSERT_NE(store, nullptr);
  AppendRange(store.get(), "lobby", 1, 1200);
  AppendRange(store.get(), "small", 1, 5);
  store->SweepNowForTest();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (store->deleted_count() < 1190 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));  // polls the writer's counter, bounded
  }
  EXPECT_EQ(store->deleted_count(), 1190u);
  EXPECT_EQ(Seqs(*store->History("lobby", 0, 0, 100)).front(), 1191u);
  EXPECT_EQ(store->History("lobby", 0, 0, 100)->messages_size(), 10);
  EXPECT_EQ(store->History("small", 0, 0, 100)->messages_size(), 5);
  EXPECT_EQ(store->LoadRoom("lobby", 100)->last_seq, 1200u);
}

TEST_F(SqliteStoreTest, RetentionDeletesMessagesOlderThanTheAge) {
  SqliteStore::Config config;
  config.retention_age = absl::Hours(24);
  config.retention_sweep = absl::Hours(1);
  std::unique_ptr<SqliteStore> store = Open(config);
  ASSERT_NE(store, nullptr);
  Outcomes outcomes;
  const absl::Time old = absl::Now() - absl::Hours(48);
  ASSERT_TRUE(store->Append(Message("lobby", 1, "", old), outcomes.Callback(1)).ok());
  ASSERT_TRUE(store->Append(Message("lobby", 2, "", old), outcomes.Callback(2)).ok());
  ASSERT_TRUE(store->Append(Message("lobby", 3), outcomes.Callback(3)).ok());
  ASSERT_EQ(outcomes.Wait(3).size(), 3u);
  store->SweepNowForTest();
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (store->deleted_count() < 2 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(Seqs(*store->History("lobby", 0, 0, 100)), std::vector<uint64_t>{3});
}

TEST_F(SqliteStoreTest, AFullStoreFailsAppendsUntilSpaceReturns) {
  std::unique_ptr<SqliteStore> store = Open();
  ASSERT_NE(store, nullptr);
  AppendRange(store.get(), "lobby", 1, 1);
  absl::StatusOr<sqlite::Db> probe = sqlite::Db::Open(dir_.File("history.db"));
  ASSERT_TRUE(probe.ok());
  const int64_t pages = *probe->QueryInt("PRAGMA page_count");
  store->SetMaxPagesForTest(pages);
  // Big messages fill the few pages left at once.
  uint64_t seq = 2;
  absl::Status failure;
  for (int i = 0; i < 50 && failure.ok(); ++i, ++seq) {
    Outcomes outcomes;
    absl::Status queued =
        store->Append(Message("lobby", seq, "", absl::Now(), 3000), outcomes.Callback(seq));
    failure = queued.ok() ? outcomes.Wait(1).at(0).second : queued;
  }
  EXPECT_TRUE(absl::IsUnavailable(failure)) << failure;
  EXPECT_EQ(failure.message(), kStoreFull);
  --seq;  // the failed seq is free again
  store->SetMaxPagesForTest(pages + 1000);
  absl::Status resumed;
  for (int attempt = 0; attempt < 100; ++attempt) {
    Outcomes outcomes;
    resumed = store->Append(Message("lobby", seq), outcomes.Callback(seq));
    if (resumed.ok()) {
      resumed = outcomes.Wait(1).at(0).second;
      break;
    }
    absl::SleepFor(absl::Milliseconds(10));  // the writer is still failing the last batch
  }
  EXPECT_TRUE(resumed.ok()) << resumed;
  EXPECT_EQ(store->LoadRoom("lobby", 1)->last_seq, seq);
}

TEST_F(SqliteStoreTest, RefusesAFileThatIsNotADatabase) {
  {
    std::ofstream junk(dir_.File("history.db"));
    junk << "this is not a database, just some text long enough to have a header";
  }
  SqliteStore::Config config;
  config.path = dir_.File("history.db");
  absl::StatusOr<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(config);
  ASSERT_FALSE(store.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(store.status())) << store.status();
  EXPECT_NE(store.status().message().find("not a database"), absl::string_view::npos)
      << store.status();
}

TEST_F(SqliteStoreTest, RefusesAStoreHeldByAnotherAndAPathThatCannotBeCreated) {
  std::unique_ptr<SqliteStore> first = Open();
  ASSERT_NE(first, nullptr);
  SqliteStore::Config config;
  config.path = dir_.File("history.db");
  absl::StatusOr<std::unique_ptr<SqliteStore>> second = SqliteStore::Open(config);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("in use by another roomd"), absl::string_view::npos)
      << second.status();
  config.path = dir_.File("missing/dir/history.db");
  absl::StatusOr<std::unique_ptr<SqliteStore>> nowhere = SqliteStore::Open(config);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(nowhere.status())) << nowhere.status();
}

}  // namespace
}  // namespace roomd
