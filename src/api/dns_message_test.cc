#include "api/dns_message.h"
#include "api/dns_test_query.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(DnsMessageTest, ReadsTheQuestionInLowerCase) {
  std::string query = DnsTestQuery(0xBEEF, "My-Bucket.S3.amazonaws.com", kDnsTypeA);
  auto question = ParseDnsQuery(query);
  ASSERT_TRUE(question.has_value());
  EXPECT_EQ(question->id, 0xBEEF);
  EXPECT_EQ(question->name, "my-bucket.s3.amazonaws.com");
  EXPECT_EQ(question->type, kDnsTypeA);
  EXPECT_EQ(question->klass, kDnsClassIn);
  EXPECT_TRUE(question->recursion_desired);
  EXPECT_EQ(question->end, query.size());
}

TEST(DnsMessageTest, AnswersAnAWithTheAddress) {
  std::string query = DnsTestQuery(7, "s3.amazonaws.com", kDnsTypeA);
  auto question = ParseDnsQuery(query);
  ASSERT_TRUE(question);
  std::string answer = DnsAddressAnswer(query, *question, {169, 254, 169, 250}, 60);
  ASSERT_EQ(answer.size(), query.size() + 16);
  EXPECT_EQ(answer.substr(0, 2), query.substr(0, 2));
  EXPECT_EQ(static_cast<uint8_t>(answer[2]), 0x85);  // QR, AA, RD
  EXPECT_EQ(static_cast<uint8_t>(answer[3]), 0x80);  // RA, NOERROR
  EXPECT_EQ(answer[7], 1);                           // one answer
  EXPECT_EQ(answer.substr(12, query.size() - 12), query.substr(12));
  std::string record = answer.substr(query.size());
  EXPECT_EQ(record,
            std::string("\xC0\x0C\x00\x01\x00\x01\x00\x00\x00\x3C\x00\x04\xA9\xFE\xA9\xFA", 16));
}

TEST(DnsMessageTest, OtherTypesOfAServedNameHaveNoData) {
  std::string query = DnsTestQuery(7, "sts.amazonaws.com", 28);  // AAAA
  auto question = ParseDnsQuery(query);
  ASSERT_TRUE(question);
  std::string answer = DnsAddressAnswer(query, *question, {1, 2, 3, 4}, 60);
  EXPECT_EQ(answer.size(), query.size());
  EXPECT_EQ(answer[7], 0);
  EXPECT_EQ(static_cast<uint8_t>(answer[3]) & 0x0F, 0);  // NOERROR: the name is there
}

TEST(DnsMessageTest, RefusesWhatIsNotOneQuestion) {
  std::string query = DnsTestQuery(1, "a.com", kDnsTypeA);
  EXPECT_FALSE(ParseDnsQuery(query.substr(0, 11)));
  EXPECT_FALSE(ParseDnsQuery(query.substr(0, query.size() - 1)));
  std::string response = query;
  response[2] = static_cast<char>(0x81);
  EXPECT_FALSE(ParseDnsQuery(response));
  std::string two = query;
  two[5] = 2;
  EXPECT_FALSE(ParseDnsQuery(two));
  std::string pointer = query;
  pointer[12] = static_cast<char>(0xC0);
  EXPECT_FALSE(ParseDnsQuery(pointer));
  std::string long_name(300, 'a');
  for (size_t i = 60; i < long_name.size(); i += 61) long_name[i] = '.';
  EXPECT_FALSE(ParseDnsQuery(DnsTestQuery(1, long_name, kDnsTypeA)));
}

TEST(DnsMessageTest, AnErrorAnswerKeepsTheIdAndTheQuestionItCouldRead) {
  std::string query = DnsTestQuery(0x1234, "a.com", kDnsTypeA);
  std::string answer = DnsErrorAnswer(query, kDnsServerFailure);
  EXPECT_EQ(answer.substr(0, 2), "\x12\x34");
  EXPECT_EQ(static_cast<uint8_t>(answer[3]) & 0x0F, kDnsServerFailure);
  EXPECT_EQ(answer.size(), query.size());
  std::string garbled = query.substr(0, 14);
  std::string refused = DnsErrorAnswer(garbled, kDnsFormatError);
  EXPECT_EQ(refused.size(), 12u);
  EXPECT_EQ(refused[5], 0);
  EXPECT_EQ(DnsErrorAnswer("short", kDnsFormatError), "");
}

TEST(DnsMessageTest, NamesUnderASuffixAreLabelAligned) {
  EXPECT_TRUE(DnsNameIsUnder("amazonaws.com", "amazonaws.com"));
  EXPECT_TRUE(DnsNameIsUnder("a.b.amazonaws.com", "amazonaws.com"));
  EXPECT_FALSE(DnsNameIsUnder("notamazonaws.com", "amazonaws.com"));
  EXPECT_FALSE(DnsNameIsUnder("amazonaws.com.evil", "amazonaws.com"));
}

}  // namespace
}  // namespace gleaner
