#include "common/heap_trimmer.h"

#include <cstdlib>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

namespace chat {
namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

TEST(HeapTrimmerTest, TrimGivesBackTheHolesAStormLeft) {
  if (kSanitized) {
    GTEST_SKIP() << "the sanitizer's allocator is not glibc's malloc";
  }
  // 64 MB in 1 KB blocks, then all but every 64th freed: glibc keeps the holes between
  // the survivors, so RSS stays up until a trim.
  constexpr std::size_t kBlocks = 64 * 1024;
  std::vector<char*> blocks(kBlocks);
  for (char*& block : blocks) {
    block = static_cast<char*>(std::malloc(1024));
    std::memset(block, 1, 1024);
  }
  for (std::size_t i = 0; i < kBlocks; ++i) {
    if (i % 64 != 0) {
      std::free(blocks[i]);
      blocks[i] = nullptr;
    }
  }
  const int64_t before = HeapTrimmer::ResidentBytes();
  const int64_t after = HeapTrimmer::TrimNow();
  ASSERT_GT(before, 0);
  EXPECT_LT(after, before - (32 << 20)) << "before " << before << ", after " << after;
  for (char* block : blocks) {
    std::free(block);
  }
}

TEST(HeapTrimmerTest, StartsAndStopsPromptly) {
  // A long interval: the destructor must wake the thread rather than wait it out.
  HeapTrimmer trimmer(absl::Hours(1));
  HeapTrimmer disabled(absl::ZeroDuration());
}

}  // namespace
}  // namespace chat
