#include "api/events_api.h"

#include <gtest/gtest.h>

#include <limits>

#include "events/event_rules.h"
#include "model/json_text.h"

namespace gleaner {
namespace {

using nlohmann::json;

class EventsApiTest : public ::testing::Test {
 protected:
  EventsApiTest() : rules_(std::move(EventRules::Open("")).value()) {
    EventsApiOptions options;
    options.rules = rules_.get();
    options.publish = [this](std::vector<json> events) {
      for (json& event : events) published_.push_back(std::move(event));
    };
    api_ = std::make_unique<EventsApi>(clock_, 1, std::move(options));
  }
  json Call(const std::string& operation, const json& body, int expected_status = 200) {
    HttpRequest request;
    request.method = "POST";
    request.body = body.dump();
    HttpResponse response = api_->Handle(operation, request);
    EXPECT_EQ(response.status, expected_status) << response.body;
    return json::parse(response.body);
  }

  FakeClock clock_{1'796'000'000'000};
  std::unique_ptr<EventRules> rules_;
  std::vector<json> published_;
  std::unique_ptr<EventsApi> api_;
};

TEST_F(EventsApiTest, PutEventsTakesTimesAsEpochSecondsAndRefusesOthers) {
  json entry = {{"Source", "my.app"}, {"DetailType", "t"}, {"Detail", "{}"}};
  json times = json::array();
  for (json time : {json(1'700'000'000), json(1e300), json(-1), json("yesterday"),
                    json(std::numeric_limits<double>::infinity())}) {
    json with_time = entry;
    with_time["Time"] = time;
    times.push_back(with_time);
  }
  json answer = Call("PutEvents", {{"Entries", times}});
  EXPECT_EQ(answer["FailedEntryCount"], 4);
  EXPECT_TRUE(answer["Entries"][0].contains("EventId"));
  for (int i = 1; i < 5; ++i) {
    EXPECT_EQ(answer["Entries"][i]["ErrorCode"], "InvalidArgument") << i;
  }
  ASSERT_EQ(published_.size(), 1u);
  EXPECT_EQ(published_[0]["time"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(published_[0]["source"], "my.app");
}

TEST_F(EventsApiTest, ABodyThatIsNotAnObjectIsASerializationException) {
  HttpRequest request;
  request.body = "[1, 2";
  HttpResponse response = api_->Handle("PutRule", request);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body)["__type"], "SerializationException");
}

}  // namespace
}  // namespace gleaner
