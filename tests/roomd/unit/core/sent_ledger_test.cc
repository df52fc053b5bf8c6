#include "roomd/core/sent_ledger.h"

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"

namespace roomd {
namespace {

const absl::Time kLedgerStart = absl::FromUnixSeconds(1'800'000'000);

TEST(MemorySentLedgerTest, RemembersPerUserAndClientId) {
  MemorySentLedger ledger;
  ledger.Record("ann", "c1", {7, kLedgerStart});
  ASSERT_TRUE(ledger.Find("ann", "c1").has_value());
  EXPECT_EQ(ledger.Find("ann", "c1")->seq, 7u);
  EXPECT_FALSE(ledger.Find("bob", "c1").has_value());
  EXPECT_FALSE(ledger.Find("ann", "c2").has_value());
  ledger.Clear();
  EXPECT_FALSE(ledger.Find("ann", "c1").has_value());
}

TEST(MemorySentLedgerTest, KeepsTheLastSendsOrTheRecentOnesWhicheverIsMore) {
  MemorySentLedger ledger(
      {.keep_sends = 3, .keep_for = absl::Minutes(10), .max_sends = 5});
  // Five sends within a minute: all are recent, so all stay (up to max_sends).
  for (int i = 1; i <= 5; ++i) {
    ledger.Record("ann", absl::StrCat("c", i),
                  {static_cast<uint64_t>(i), kLedgerStart + absl::Seconds(i)});
  }
  EXPECT_EQ(ledger.SizeForTest("ann"), 5u);
  // A sixth passes max_sends: the oldest goes.
  ledger.Record("ann", "c6", {6, kLedgerStart + absl::Seconds(6)});
  EXPECT_EQ(ledger.SizeForTest("ann"), 5u);
  EXPECT_FALSE(ledger.Find("ann", "c1").has_value());
  // Much later, only the last keep_sends stay.
  ledger.Record("ann", "c7", {7, kLedgerStart + absl::Hours(1)});
  EXPECT_EQ(ledger.SizeForTest("ann"), 3u);
  EXPECT_TRUE(ledger.Find("ann", "c5").has_value());
  EXPECT_FALSE(ledger.Find("ann", "c4").has_value());
}

}  // namespace
}  // namespace roomd
