#include "server_sim/sim_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gleaner::sim {
namespace {

std::vector<Mutation> PutJob(const std::string& id) {
  return {Mutation::Put(RecordKind::kJob, id, "{\"jobId\":\"" + id + "\"}")};
}

TEST(SimStoreTest, BatchesBecomeDurableInCommitOrderWhenTheSimulationSays) {
  SimStore store;
  std::vector<std::string> done;
  store.Commit(PutJob("a"), [&](Status status) { done.push_back("a:" + status.message()); });
  store.Commit(PutJob("b"), [&](Status) { done.push_back("b"); });
  EXPECT_TRUE(done.empty());
  EXPECT_TRUE(store.Load()->jobs.empty());
  store.MakeDurable(1);
  ASSERT_EQ(done.size(), 1u);
  ASSERT_EQ(store.Load()->jobs.size(), 1u);
  EXPECT_EQ(store.Load()->jobs[0].key, "a");
  store.Flush();
  EXPECT_EQ(done.size(), 2u);
  EXPECT_EQ(store.pending(), 0u);
}

TEST(SimStoreTest, ACrashLosesWhatIsNotDurableAndNeverAnswersIt) {
  SimStore store;
  bool answered = false;
  store.Commit(PutJob("a"), [](Status) {});
  store.MakeDurable(1);
  store.Commit(PutJob("b"), [&](Status) { answered = true; });
  store.Commit({Mutation::Delete(RecordKind::kJob, "a")}, [&](Status) { answered = true; });
  store.Crash();
  store.Flush();
  EXPECT_FALSE(answered);
  ASSERT_EQ(store.Load()->jobs.size(), 1u);
  EXPECT_EQ(store.Load()->jobs[0].key, "a");
}

TEST(SimStoreTest, ADoneThatCommitsAgainQueuesBehindTheRest) {
  SimStore store;
  std::vector<std::string> order;
  store.Commit(PutJob("a"), [&](Status) {
    order.push_back("a");
    store.Commit(PutJob("c"), [&](Status) { order.push_back("c"); });
  });
  store.Commit(PutJob("b"), [&](Status) { order.push_back("b"); });
  store.Flush();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b"}));
  store.Flush();
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c"}));
}

}  // namespace
}  // namespace gleaner::sim
