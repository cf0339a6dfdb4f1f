// Boxed, SharedValue and SharedString: the compact members of a queued job.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/boxed.h"
#include "common/shared_string.h"
#include "common/shared_value.h"

namespace gleaner {
namespace {

TEST(Boxed, BehavesAsAnOptionalWithDeepCopies) {
  Boxed<std::vector<int>> empty;
  EXPECT_FALSE(empty.has_value());
  EXPECT_FALSE(empty);
  EXPECT_THROW((void)empty.value(), std::bad_optional_access);

  Boxed<std::vector<int>> box = std::vector<int>{1, 2};
  Boxed<std::vector<int>> copy = box;
  copy->push_back(3);
  EXPECT_EQ(*box, (std::vector<int>{1, 2}));
  EXPECT_EQ(copy.value(), (std::vector<int>{1, 2, 3}));

  box = std::nullopt;
  EXPECT_FALSE(box);
  box.emplace().push_back(7);
  EXPECT_EQ(*box, std::vector<int>{7});
  box.reset();
  EXPECT_FALSE(box.has_value());
}

TEST(SharedValue, ReadsADefaultUntilSetAndCopiesOnlyWhenChangedWhileShared) {
  SharedValue<std::vector<int>> unset;
  EXPECT_TRUE(unset->empty());
  EXPECT_FALSE(unset.Shared());

  SharedValue<std::vector<int>> definition = std::vector<int>{1, 2};
  SharedValue<std::vector<int>> job;
  job.ShareWith(definition);
  EXPECT_TRUE(job.SharedWith(definition));
  EXPECT_TRUE(definition.Shared());

  job.Mutable().push_back(3);  // the job's own copy now; the definition's is untouched
  EXPECT_FALSE(job.SharedWith(definition));
  EXPECT_EQ(*definition, (std::vector<int>{1, 2}));
  EXPECT_EQ(*job, (std::vector<int>{1, 2, 3}));

  const std::vector<int>* own = &*job;
  job.Mutable().push_back(4);  // not shared: changed in place
  EXPECT_EQ(&*job, own);
}

TEST(SharedValue, ACopyOfAnObjectSharesUntilEitherChanges) {
  SharedValue<std::string> original = std::string("a");
  SharedValue<std::string> copy = original;
  EXPECT_TRUE(copy.SharedWith(original));
  copy.Mutable() += "b";
  EXPECT_EQ(*original, "a");
  EXPECT_EQ(*copy, "ab");
}

TEST(SharedString, APoolHandsOutOneCopyPerValue) {
  StringPool pool;
  SharedString first = pool.Intern("arn:aws:batch:us-east-1:123456789012:job-queue/high");
  SharedString second =
      pool.Intern(std::string("arn:aws:batch:us-east-1:123456789012:job-queue/high"));
  SharedString other = pool.Intern("arn:aws:batch:us-east-1:123456789012:job-queue/low");
  EXPECT_TRUE(first.SharedWith(second));
  EXPECT_FALSE(first.SharedWith(other));
  EXPECT_EQ(first, second);
  EXPECT_FALSE(first == other);

  SharedString own = std::string("arn:aws:batch:us-east-1:123456789012:job-queue/high");
  EXPECT_EQ(own, first);  // equal by value, though stored apart
  EXPECT_FALSE(own.SharedWith(first));
  const std::string& read = first;
  EXPECT_EQ(read, "arn:aws:batch:us-east-1:123456789012:job-queue/high");
  EXPECT_TRUE(SharedString().empty());
}

}  // namespace
}  // namespace gleaner
