#include "capacity/instance_catalog.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

namespace gleaner {

// Defined in the embedded_catalog.cc that CMake generates from data/ec2-us-east-1.csv.
std::string_view EmbeddedUsEast1CatalogCsv();

namespace {

constexpr std::array<InterruptionBucketBounds, kInterruptionBucketCount> kBuckets = {{
    {0, 5, "<5%"},
    {5, 11, "5-10%"},
    {11, 16, "10-15%"},
    {16, 22, "15-20%"},
    {22, 100, ">20%"},
}};

constexpr std::string_view kHeader =
    "instance_type,vcpu,memory_mib,gpu,on_demand_usd_per_hour,spot_savings_pct,"
    "interruption_bucket";
constexpr size_t kColumnCount = 7;

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
}

template <typename Integer>
std::optional<Integer> ParseInteger(std::string_view text) {
  Integer value{};
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return std::nullopt;
  }
  return value;
}

Status RowError(int line_number, const std::string& what) {
  return Status::InvalidArgument("instance catalog line " + std::to_string(line_number) + ": " +
                                 what);
}

Result<std::optional<SpotAdvisorFigures>> ParseSpotFigures(std::string_view savings,
                                                           std::string_view bucket,
                                                           int line_number) {
  if (savings.empty() && bucket.empty()) return std::optional<SpotAdvisorFigures>();
  auto savings_percent = ParseInteger<int>(savings);
  auto bucket_index = ParseInteger<int>(bucket);
  if (!savings_percent || *savings_percent < 0 || *savings_percent > 100) {
    return RowError(line_number,
                    "spot_savings_pct must be 0..100, got '" + std::string(savings) + "'");
  }
  if (!bucket_index || *bucket_index < 0 || *bucket_index >= kInterruptionBucketCount) {
    return RowError(line_number,
                    "interruption_bucket must be 0..4, got '" + std::string(bucket) + "'");
  }
  return std::optional<SpotAdvisorFigures>(SpotAdvisorFigures{*savings_percent, *bucket_index});
}

Result<InstanceType> ParseRow(std::string_view line, int line_number) {
  std::vector<std::string_view> fields = SplitFields(line);
  if (fields.size() != kColumnCount) {
    return RowError(line_number, "expected " + std::to_string(kColumnCount) + " columns, got " +
                                     std::to_string(fields.size()));
  }
  InstanceType type;
  type.name = std::string(fields[0]);
  size_t dot = type.name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == type.name.size()) {
    return RowError(line_number, "instance type '" + type.name + "' is not <family>.<size>");
  }
  type.family = type.name.substr(0, dot);
  type.size = type.name.substr(dot + 1);
  auto vcpus = ParseInteger<int>(fields[1]);
  auto memory = ParseInteger<int64_t>(fields[2]);
  auto gpus = ParseInteger<int>(fields[3]);
  if (!vcpus || *vcpus <= 0 || !memory || *memory <= 0 || !gpus || *gpus < 0) {
    return RowError(line_number, "vcpu, memory_mib and gpu must be counts");
  }
  type.vcpus = *vcpus;
  type.memory_mib = *memory;
  type.gpus = *gpus;
  Result<MicroUsdPerHour> price = ParseMicroUsd(fields[4]);
  if (!price.ok()) return RowError(line_number, price.status().message());
  type.on_demand_price = *price;
  auto spot = ParseSpotFigures(fields[5], fields[6], line_number);
  if (!spot.ok()) return spot.status();
  type.spot = *spot;
  return type;
}

}  // namespace

InterruptionBucketBounds BucketBounds(int bucket) {
  return kBuckets.at(static_cast<size_t>(bucket));
}

Resources InstanceType::Capacity() const {
  return Resources{static_cast<int64_t>(vcpus) * 1000, memory_mib, gpus};
}

std::optional<MicroUsdPerHour> InstanceType::TypicalSpotPrice() const {
  if (!spot) return std::nullopt;
  // savings 0 means the advisor has no figure: spot is priced like on-demand (no discount assumed).
  return on_demand_price * (100 - spot->savings_percent) / 100;
}

Result<MicroUsdPerHour> ParseMicroUsd(std::string_view text) {
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : text.substr(dot + 1);
  auto dollars = ParseInteger<int64_t>(whole);
  if (!dollars || *dollars < 0 || fraction.size() > 6 ||
      (!fraction.empty() && !ParseInteger<int64_t>(fraction))) {
    return Status::InvalidArgument("price '" + std::string(text) +
                                   "' is not a dollar amount with at most 6 decimals");
  }
  std::string padded(fraction);
  padded.resize(6, '0');
  return *dollars * 1'000'000 + *ParseInteger<int64_t>(padded);
}

Result<InstanceCatalog> InstanceCatalog::FromCsv(std::string_view text) {
  InstanceCatalog catalog;
  bool saw_header = false;
  int line_number = 0;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    if (!saw_header) {
      if (line != kHeader)
        return RowError(line_number, "expected the header " + std::string(kHeader));
      saw_header = true;
      continue;
    }
    Result<InstanceType> type = ParseRow(line, line_number);
    if (!type.ok()) return type.status();
    std::string name = type->name;
    if (!catalog.types_.emplace(name, std::move(type).value()).second) {
      return RowError(line_number, "instance type '" + name + "' is listed twice");
    }
  }
  if (catalog.types_.empty()) return Status::InvalidArgument("instance catalog has no types");
  return catalog;
}

Result<InstanceCatalog> InstanceCatalog::LoadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::NotFound("cannot open instance catalog " + path);
  std::ostringstream contents;
  contents << file.rdbuf();
  Result<InstanceCatalog> catalog = FromCsv(contents.str());
  if (!catalog.ok()) {
    return Status(catalog.status().code(), path + ": " + catalog.status().message());
  }
  return catalog;
}

Result<InstanceCatalog> InstanceCatalog::BuiltIn() { return FromCsv(EmbeddedUsEast1CatalogCsv()); }

const InstanceType* InstanceCatalog::Find(std::string_view name) const {
  auto found = types_.find(name);
  return found == types_.end() ? nullptr : &found->second;
}

std::vector<const InstanceType*> InstanceCatalog::Family(std::string_view family) const {
  std::vector<const InstanceType*> sizes;
  // Names sort by family first, so one family's types are contiguous from "<family>.".
  std::string prefix = std::string(family) + ".";
  for (auto it = types_.lower_bound(prefix); it != types_.end() && it->first.starts_with(prefix);
       ++it) {
    sizes.push_back(&it->second);
  }
  std::sort(sizes.begin(), sizes.end(), [](const InstanceType* a, const InstanceType* b) {
    return std::tie(a->vcpus, a->memory_mib, a->name) < std::tie(b->vcpus, b->memory_mib, b->name);
  });
  return sizes;
}

std::vector<std::string> InstanceCatalog::FamilyNames() const {
  std::set<std::string> families;
  for (const auto& [name, type] : types_) families.insert(type.family);
  return {families.begin(), families.end()};
}

}  // namespace gleaner
