#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "model/resources.h"

namespace gleaner {

// Prices in millionths of a US dollar per hour: the price list has at most six decimals, so prices
// compare and add exactly and rankings never depend on floating-point rounding.
using MicroUsdPerHour = int64_t;

// The AWS Spot Advisor's buckets of "share of spot instances interrupted per month".
inline constexpr int kInterruptionBucketCount = 5;

struct InterruptionBucketBounds {
  int lower_percent = 0;  // inclusive
  int upper_percent = 0;  // exclusive; the advisor's `ranges[].max`
  std::string_view label;
};

// Bucket 0..4: [0,5) "<5%", [5,11) "5-10%", [11,16) "10-15%", [16,22) "15-20%", [22,100] ">20%",
// with the bounds the advisor publishes (its labels round them).
InterruptionBucketBounds BucketBounds(int bucket);

struct SpotAdvisorFigures {
  int savings_percent = 0;      // typical discount against on-demand; 0 = no figure (see README)
  int interruption_bucket = 0;  // 0..4
};

// One EC2 instance type of the catalog.
struct InstanceType {
  std::string name;    // "m5.xlarge"
  std::string family;  // "m5"
  std::string size;    // "xlarge"
  int vcpus = 0;
  int64_t memory_mib = 0;
  int gpus = 0;  // NVIDIA GPUs, the only kind AWS Batch schedules
  MicroUsdPerHour on_demand_price = 0;
  std::optional<SpotAdvisorFigures> spot;  // nullopt: not in the Spot Advisor, on demand only

  Resources Capacity() const;
  // on-demand × (1 − savings): the advisor's typical spot price, before any drift.
  std::optional<MicroUsdPerHour> TypicalSpotPrice() const;
};

// The instance types of one region (us-east-1), by name.
class InstanceCatalog {
 public:
  using TypesByName = std::map<std::string, InstanceType, std::less<>>;

  // The derived CSV format of src/capacity/data/ec2-us-east-1.csv; '#' lines are comments.
  static Result<InstanceCatalog> FromCsv(std::string_view text);
  static Result<InstanceCatalog> LoadFile(const std::string& path);
  // The us-east-1 catalog compiled into gleaner from src/capacity/data/ec2-us-east-1.csv.
  static Result<InstanceCatalog> BuiltIn();

  const InstanceType* Find(std::string_view name) const;
  // The sizes of a family, smallest first (vCPUs, then memory, then name); empty if unknown.
  std::vector<const InstanceType*> Family(std::string_view family) const;
  std::vector<std::string> FamilyNames() const;  // sorted, unique
  const TypesByName& types() const { return types_; }
  size_t size() const { return types_.size(); }

 private:
  TypesByName types_;
};

// "46.40391" -> 46403910 micro-USD; rejects more than six decimals and anything not a number.
Result<MicroUsdPerHour> ParseMicroUsd(std::string_view text);

}  // namespace gleaner
