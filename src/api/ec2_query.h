#pragma once

// EC2's query protocol, both ways: the form parameters botocore sends (`Action=...&Version=...`,
// lists as `Name.1`, `Name.2`, filters as `Filter.N.Name` / `Filter.N.Value.M`) and the XML it
// reads back (element names are the model's locationNames; lists are <xxxSet><item>...</item>).

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capacity/spot_instance_request.h"
#include "common/clock.h"
#include "common/markup_escape.h"
#include "common/status.h"

namespace gleaner {

inline constexpr char kEc2Namespace[] = "http://ec2.amazonaws.com/doc/2016-11-15/";

// One value per parameter name: the form body's, then the URL query's (GET) for names the body
// does not have. A repeated name keeps its first value.
using Ec2Params = std::map<std::string, std::string, std::less<>>;
Ec2Params ParseEc2Params(std::string_view form_body, std::string_view url_query);

std::optional<std::string> Ec2Param(const Ec2Params& params, std::string_view name);

// `prefix.1`, `prefix.2`, ... in numeric order (gaps allowed, as botocore never makes them).
std::vector<std::string> Ec2IndexedValues(const Ec2Params& params, std::string_view prefix);

// Filter.N.Name and Filter.N.Value.M, by N; a filter without a name is MissingParameter's case
// (InvalidArgument here, with the parameter named).
Result<std::vector<Ec2Filter>> Ec2Filters(const Ec2Params& params);

// A whole number parameter; InvalidArgument names the parameter when it is not one.
Result<std::optional<int>> Ec2IntegerParam(const Ec2Params& params, std::string_view name);
// "true"/"false" (botocore's booleans); absent is false.
Result<bool> Ec2BooleanParam(const Ec2Params& params, std::string_view name);
// ISO 8601 ("2026-11-24T08:22:00Z", with optional fractions and offset) or epoch seconds;
// nullopt for anything else.
std::optional<EpochMillis> ParseAwsTime(std::string_view text);
// The same as a parameter: InvalidArgument names the parameter when it is not a time.
Result<std::optional<EpochMillis>> Ec2TimeParam(const Ec2Params& params, std::string_view name);

// "2026-11-24T08:22:00.000Z", as EC2 writes times.
std::string Ec2Time(EpochMillis at);

// Builds XML with every text escaped; Open/Close nest, Element is a leaf.
class XmlWriter {
 public:
  XmlWriter& Open(std::string_view name);
  XmlWriter& Close();  // the innermost open element
  XmlWriter& Element(std::string_view name, std::string_view text);
  XmlWriter& ElementIfNotEmpty(std::string_view name, std::string_view text);
  // Everything written, with the open elements closed.
  std::string Finish();

 private:
  std::string out_;
  std::vector<std::string> open_;
};

// <?xml ...?><{action}Response xmlns="..."><requestId>..</requestId>{inner}</{action}Response>
std::string Ec2ResponseXml(std::string_view action, std::string_view request_id,
                           std::string_view inner);
// <Response><Errors><Error><Code>..</Code><Message>..</Message></Error></Errors>
// <RequestID>..</RequestID></Response>
std::string Ec2ErrorXml(std::string_view code, std::string_view message,
                        std::string_view request_id);

}  // namespace gleaner
