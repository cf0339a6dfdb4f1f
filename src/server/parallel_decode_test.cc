#include "server/parallel_decode.h"

#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace gleaner {
namespace {

// Decodes index i to i * 10, except at the indexes in `failing`, whose Status names them.
struct TimesTen {
  std::vector<size_t> failing;
  Result<size_t> operator()(size_t index) const {
    for (size_t bad : failing) {
      if (bad == index) return Status::InvalidArgument("item " + std::to_string(index));
    }
    return index * 10;
  }
};

ParallelDecodeOptions SmallChunks(size_t threads = 3) {
  ParallelDecodeOptions options;
  options.threads = threads;
  options.chunk_size = 7;  // items end mid-chunk, and the workers often wait for the consumer
  options.chunks_ahead_per_thread = 1;
  return options;
}

std::vector<size_t> Expected(size_t count) {
  std::vector<size_t> values;
  for (size_t i = 0; i < count; ++i) values.push_back(i * 10);
  return values;
}

TEST(DecodeInOrderTest, ConsumesEveryItemInIndexOrderAcrossChunks) {
  for (size_t count : {14, 15, 20, 21, 1000}) {
    std::vector<size_t> consumed;
    ParallelDecodeStats stats;
    Status status = DecodeInOrder<size_t>(
        count, TimesTen{}, [&](size_t value) { consumed.push_back(value); }, SmallChunks(), &stats);
    ASSERT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(consumed, Expected(count)) << count << " items";
    EXPECT_EQ(stats.threads, 3u);
  }
}

TEST(DecodeInOrderTest, FewItemsAreDecodedOnTheCallingThread) {
  for (size_t count : {0, 1, 13}) {
    std::vector<size_t> consumed;
    ParallelDecodeStats stats;
    Status status = DecodeInOrder<size_t>(
        count, TimesTen{}, [&](size_t value) { consumed.push_back(value); }, SmallChunks(), &stats);
    ASSERT_TRUE(status.ok());
    EXPECT_EQ(consumed, Expected(count));
    EXPECT_EQ(stats.threads, 0u);
  }
}

TEST(DecodeInOrderTest, StopsAtTheFirstFailureInIndexOrder) {
  // Later chunks fail too, and may well be decoded before the first failing one: the answer is
  // still the first failure in index order, after exactly the items before it.
  for (size_t first_bad : {0, 6, 7, 8, 500, 999}) {
    for (int run = 0; run < 20; ++run) {
      std::vector<size_t> consumed;
      TimesTen decode{{first_bad, first_bad + 1, first_bad + 30, 999}};
      Status status = DecodeInOrder<size_t>(
          1000, decode, [&](size_t value) { consumed.push_back(value); }, SmallChunks());
      EXPECT_EQ(status.message(), "item " + std::to_string(first_bad));
      EXPECT_EQ(consumed, Expected(first_bad));
    }
  }
}

TEST(DecodeInOrderTest, AFailureAmongFewItemsIsReportedTheSameWay) {
  std::vector<size_t> consumed;
  Status status = DecodeInOrder<size_t>(
      10, TimesTen{{4, 2}}, [&](size_t value) { consumed.push_back(value); }, SmallChunks());
  EXPECT_EQ(status.message(), "item 2");
  EXPECT_EQ(consumed, Expected(2));
}

TEST(DecodeInOrderTest, AnExceptionFromDecodeIsRethrownAtItsTurn) {
  std::vector<size_t> consumed;
  auto decode = [](size_t index) -> Result<size_t> {
    if (index == 100) throw std::runtime_error("cannot decode 100");
    return index * 10;
  };
  try {
    (void)DecodeInOrder<size_t>(
        1000, decode, [&](size_t value) { consumed.push_back(value); }, SmallChunks());
    FAIL() << "no exception";
  } catch (const std::runtime_error& error) {
    EXPECT_STREQ(error.what(), "cannot decode 100");
  }
  EXPECT_EQ(consumed, Expected(100));
}

TEST(DecodeInOrderTest, AnExceptionFromConsumeLeavesNoWorkerRunning) {
  size_t consumed = 0;
  auto consume = [&](size_t) {
    if (++consumed == 50) throw std::runtime_error("consumer gave up");
  };
  EXPECT_THROW((void)DecodeInOrder<size_t>(1000, TimesTen{}, consume, SmallChunks()),
               std::runtime_error);
  EXPECT_EQ(consumed, 50u);
}

TEST(DecodeInOrderTest, MovesValuesThrough) {
  auto decode = [](size_t index) -> Result<std::unique_ptr<size_t>> {
    return std::make_unique<size_t>(index);
  };
  size_t next = 0;
  Status status = DecodeInOrder<std::unique_ptr<size_t>>(
      100, decode, [&](std::unique_ptr<size_t> value) { EXPECT_EQ(*value, next++); },
      SmallChunks(/*threads=*/1));
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(next, 100u);
}

}  // namespace
}  // namespace gleaner
