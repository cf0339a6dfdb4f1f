#include "api/ec2_query.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <ctime>

#include "api/http_server.h"

namespace gleaner {
namespace {

constexpr char kXmlDeclaration[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

bool AllDigits(std::string_view text) {
  return !text.empty() && text.size() <= 9 &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(c); });
}

// The N of `prefix.N` and `prefix.N.<rest>` keys, sorted.
std::vector<int> Indexes(const Ec2Params& params, std::string_view prefix) {
  std::vector<int> indexes;
  std::string start = std::string(prefix) + ".";
  for (auto it = params.lower_bound(start); it != params.end() && it->first.starts_with(start);
       ++it) {
    std::string_view rest = std::string_view(it->first).substr(start.size());
    std::string_view number = rest.substr(0, rest.find('.'));
    if (!AllDigits(number)) continue;
    int index = std::stoi(std::string(number));
    if (std::find(indexes.begin(), indexes.end(), index) == indexes.end()) {
      indexes.push_back(index);
    }
  }
  std::sort(indexes.begin(), indexes.end());
  return indexes;
}

// Reads `count` digits at `position` into `value`.
bool ReadNumber(std::string_view text, size_t position, size_t count, int* value) {
  if (position + count > text.size()) return false;
  int result = 0;
  for (size_t i = position; i < position + count; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    result = result * 10 + (text[i] - '0');
  }
  *value = result;
  return true;
}

}  // namespace

std::optional<EpochMillis> ParseAwsTime(std::string_view text) {
  if (!text.empty() && text.size() < 20 &&
      text.find_first_not_of("0123456789.") == std::string_view::npos &&
      std::count(text.begin(), text.end(), '.') <= 1 && text.front() != '.') {
    double seconds = std::stod(std::string(text));  // epoch seconds
    // Past the year 9999 is no time (and its milliseconds would not fit in an EpochMillis).
    constexpr double kLatestSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z
    if (seconds > kLatestSeconds) return std::nullopt;
    return static_cast<EpochMillis>(seconds * 1000);
  }
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadNumber(text, 0, 4, &year) || text.size() < 10 || text[4] != '-' ||
      !ReadNumber(text, 5, 2, &month) || text[7] != '-' || !ReadNumber(text, 8, 2, &day)) {
    return std::nullopt;
  }
  size_t position = 10;
  if (position < text.size() && (text[position] == 'T' || text[position] == ' ')) {
    if (!ReadNumber(text, 11, 2, &hour) || text.size() < 16 || text[13] != ':' ||
        !ReadNumber(text, 14, 2, &minute)) {
      return std::nullopt;
    }
    position = 16;
    if (position < text.size() && text[position] == ':') {
      if (!ReadNumber(text, 17, 2, &second)) return std::nullopt;
      position = 19;
    }
  }
  int64_t millis = 0;
  if (position < text.size() && text[position] == '.') {
    size_t digits = 0;
    int64_t scale = 100;
    for (++position; position < text.size() && std::isdigit(text[position]); ++position) {
      if (digits++ < 3) {
        millis += (text[position] - '0') * scale;
        scale /= 10;
      }
    }
  }
  int64_t offset_seconds = 0;
  std::string_view zone = text.substr(position);
  if (zone == "Z" || zone.empty()) {
    // UTC
  } else if ((zone[0] == '+' || zone[0] == '-') && zone.size() == 6 && zone[3] == ':') {
    int zone_hours = 0, zone_minutes = 0;
    if (!ReadNumber(zone, 1, 2, &zone_hours) || !ReadNumber(zone, 4, 2, &zone_minutes)) {
      return std::nullopt;
    }
    offset_seconds = (zone_hours * 3600 + zone_minutes * 60) * (zone[0] == '+' ? 1 : -1);
  } else {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return (static_cast<int64_t>(timegm(&tm)) - offset_seconds) * 1000 + millis;
}

Ec2Params ParseEc2Params(std::string_view form_body, std::string_view url_query) {
  Ec2Params params;
  for (std::string_view source : {form_body, url_query}) {
    for (auto& [name, values] : ParseQuery(source)) {
      if (!values.empty()) params.emplace(name, values.front());
    }
  }
  return params;
}

std::optional<std::string> Ec2Param(const Ec2Params& params, std::string_view name) {
  auto found = params.find(name);
  if (found == params.end()) return std::nullopt;
  return found->second;
}

std::vector<std::string> Ec2IndexedValues(const Ec2Params& params, std::string_view prefix) {
  std::vector<std::string> values;
  for (int index : Indexes(params, prefix)) {
    auto found = params.find(std::string(prefix) + "." + std::to_string(index));
    if (found != params.end()) values.push_back(found->second);
  }
  return values;
}

Result<std::vector<Ec2Filter>> Ec2Filters(const Ec2Params& params) {
  std::vector<Ec2Filter> filters;
  for (int index : Indexes(params, "Filter")) {
    std::string prefix = "Filter." + std::to_string(index);
    std::optional<std::string> name = Ec2Param(params, prefix + ".Name");
    if (!name || name->empty()) {
      return Status::InvalidArgument("The request must contain the parameter " + prefix + ".Name");
    }
    filters.push_back({*name, Ec2IndexedValues(params, prefix + ".Value")});
  }
  return filters;
}

Result<std::optional<int>> Ec2IntegerParam(const Ec2Params& params, std::string_view name) {
  std::optional<std::string> text = Ec2Param(params, name);
  if (!text) return std::optional<int>();
  std::string_view digits = *text;
  bool negative = digits.starts_with('-');
  if (negative) digits.remove_prefix(1);
  if (!AllDigits(digits)) {
    return Status::InvalidArgument("Value (" + *text + ") for parameter " + std::string(name) +
                                   " is invalid. Expected an integer.");
  }
  int value = std::stoi(std::string(digits));
  return std::optional<int>(negative ? -value : value);
}

Result<bool> Ec2BooleanParam(const Ec2Params& params, std::string_view name) {
  std::optional<std::string> text = Ec2Param(params, name);
  if (!text || *text == "false") return false;
  if (*text == "true") return true;
  return Status::InvalidArgument("Value (" + *text + ") for parameter " + std::string(name) +
                                 " is invalid. Expected true or false.");
}

Result<std::optional<EpochMillis>> Ec2TimeParam(const Ec2Params& params, std::string_view name) {
  std::optional<std::string> text = Ec2Param(params, name);
  if (!text) return std::optional<EpochMillis>();
  std::optional<EpochMillis> at = ParseAwsTime(*text);
  if (!at) {
    return Status::InvalidArgument("Value (" + *text + ") for parameter " + std::string(name) +
                                   " is invalid. Expected an ISO 8601 time.");
  }
  return at;
}

std::string Ec2Time(EpochMillis at) {
  std::string seconds = FormatIso8601Seconds(at);  // "...:SSZ"
  char millis[8];
  std::snprintf(millis, sizeof millis, ".%03dZ", static_cast<int>(((at % 1000) + 1000) % 1000));
  return seconds.substr(0, seconds.size() - 1) + millis;
}

XmlWriter& XmlWriter::Open(std::string_view name) {
  out_.append("<").append(name).append(">");
  open_.emplace_back(name);
  return *this;
}

XmlWriter& XmlWriter::Close() {
  if (open_.empty()) return *this;
  out_.append("</").append(open_.back()).append(">");
  open_.pop_back();
  return *this;
}

XmlWriter& XmlWriter::Element(std::string_view name, std::string_view text) {
  out_.append("<").append(name).append(">");
  out_.append(XmlEscape(text));
  out_.append("</").append(name).append(">");
  return *this;
}

XmlWriter& XmlWriter::ElementIfNotEmpty(std::string_view name, std::string_view text) {
  if (!text.empty()) Element(name, text);
  return *this;
}

std::string XmlWriter::Finish() {
  while (!open_.empty()) Close();
  return std::move(out_);
}

std::string Ec2ResponseXml(std::string_view action, std::string_view request_id,
                           std::string_view inner) {
  std::string out = kXmlDeclaration;
  out.append("<").append(action).append("Response xmlns=\"").append(kEc2Namespace).append("\">");
  out.append("<requestId>").append(XmlEscape(request_id)).append("</requestId>");
  out.append(inner);
  out.append("</").append(action).append("Response>");
  return out;
}

std::string Ec2ErrorXml(std::string_view code, std::string_view message,
                        std::string_view request_id) {
  XmlWriter xml;
  xml.Open("Response").Open("Errors").Open("Error");
  xml.Element("Code", code).Element("Message", message);
  xml.Close().Close();
  xml.Element("RequestID", request_id);
  return kXmlDeclaration + xml.Finish();
}

}  // namespace gleaner
