#include "server/record_json.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

void ExpectAsNlohmann(const std::string& text) {
  json expected = json::parse(text, nullptr, /*allow_exceptions=*/false);
  json parsed = ParseRecordJson(text);
  EXPECT_TRUE(JsonIdentical(parsed, expected))
      << "text: " << text << "\nnlohmann: " << expected.dump()
      << "\nParseRecordJson: " << parsed.dump();
}

TEST(ParseRecordJsonTest, ReadsWhatNlohmannReads) {
  std::vector<std::string> texts = {
      "{}",
      "[]",
      R"({"a":1})",
      " \t\r\n{ \"a\" : [ 1 , -2, 0, -0, true, false, null, \"x\" ] }\n ",
      R"("text")",
      "123",
      "-5",
      "0",
      "true",
      "null",
      R"({"":1})",
      R"({"a":{"b":[{"c":"d"},[],{}]},"b":[[1],[2,[3]]]})",
      "123456789012345678",
      "-123456789012345678",
      R"("a\"b\\c\/d\be\ff\ng\rh\ti")",
      R"({"key\"with\\escapes":"and\nvalue"})",
      // members out of order, or twice (the last one counts)
      R"({"b":1,"a":2})",
      R"({"a":1,"a":2})",
      R"({"a":{"y":1,"x":2},"a":[3]})",
      // handed over to nlohmann: floats, long integers, \u escapes, UTF-8, a byte order mark
      "1.5",
      "1e3",
      "-0.0",
      "[1E-2,2.5e+3]",
      "1234567890123456789",
      "12345678901234567890",
      "-9223372036854775808",
      "99999999999999999999999",
      R"("caf\u00e9")",
      "\"caf\xc3\xa9\"",
      "\xef\xbb\xbf{}",
      // not JSON, or not all of it
      "",
      "   ",
      "\"\x01\"",
      R"("\q")",
      "\"caf\xe9\"",
      R"({"a":1,})",
      "[1,]",
      "[1 2]",
      R"({"a" 1})",
      R"({"a":1 "b":2})",
      R"({"a":)",
      R"({a:1})",
      "\"unterminated",
      "\"a\\",
      "01",
      "-01",
      "00",
      "-",
      "-a",
      "+1",
      "1.",
      ".5",
      "NaN",
      "[-]",
      "tru",
      "truex",
      "nul",
      "{} x",
      "{}}",
      std::string("{}\0 trailing", 12),
      std::string("[1,\0]", 5),
  };
  for (const std::string& text : texts) ExpectAsNlohmann(text);
}

TEST(ParseRecordJsonTest, ReadsDeepDocumentsAsNlohmann) {
  for (int depth : {63, 64, 65, 200}) {
    ExpectAsNlohmann(std::string(depth, '[') + std::string(depth, ']'));
    std::string objects;
    for (int i = 0; i < depth; ++i) objects += R"({"a":)";
    ExpectAsNlohmann(objects + "1" + std::string(depth, '}'));
  }
}

// Random documents, as dump() writes them and pretty-printed.
json RandomValue(std::mt19937_64& random, int depth) {
  auto pick = [&](int n) { return static_cast<int>(random() % static_cast<unsigned>(n)); };
  auto text = [&] {
    static const std::vector<std::string> pieces = {
        "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\xc3\xa9", "arn:aws:batch", ":"};
    std::string out;
    for (int i = pick(6); i > 0; --i) out += pieces[static_cast<size_t>(pick(13))];
    return out;
  };
  switch (depth > 3 ? pick(6) : pick(8)) {
    case 0:
      return nullptr;
    case 1:
      return pick(2) == 0;
    case 2:
      return static_cast<int64_t>(random()) >> pick(64);
    case 3:
      return static_cast<uint64_t>(random()) >> pick(64);
    case 4:
      return static_cast<double>(random()) / 1000.0;
    case 5:
      return text();
    case 6: {
      json array = json::array();
      for (int i = pick(4); i > 0; --i) array.push_back(RandomValue(random, depth + 1));
      return array;
    }
    default: {
      json object = json::object();
      for (int i = pick(5); i > 0; --i) object[text()] = RandomValue(random, depth + 1);
      return object;
    }
  }
}

TEST(ParseRecordJsonTest, ReadsRandomDocumentsAsNlohmann) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 2000; ++i) {
    json value = RandomValue(random, 0);
    ExpectAsNlohmann(value.dump());
    ExpectAsNlohmann(value.dump(2));
  }
}

}  // namespace
}  // namespace gleaner
