#include "capacity/instance_type_resolution.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <utility>

namespace gleaner {
namespace {

// Levenshtein distance, two rows.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> previous(b.size() + 1);
  std::vector<size_t> current(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) previous[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, substitution});
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += name;
  }
  return joined;
}

const std::vector<std::string>* KeywordFamilies(std::string_view entry) {
  if (entry == "optimal") return &OptimalFamilies();
  if (entry == "default_x86_64") return &DefaultX8664Families();
  if (entry == "default_arm64") return &DefaultArm64Families();
  return nullptr;
}

// Why `entry` names nothing, with what the user probably meant.
std::string DescribeUnknownEntry(const InstanceCatalog& catalog, const std::string& entry) {
  size_t dot = entry.find('.');
  if (dot != std::string::npos) {
    std::string family = entry.substr(0, dot);
    std::vector<std::string> sizes;
    for (const InstanceType* type : catalog.Family(family)) sizes.push_back(type->name);
    if (!sizes.empty()) {
      return "'" + entry + "' is not a size of " + family + " (" + family +
             " has: " + JoinNames(sizes) + ")";
    }
  }
  std::vector<std::string> matches = CloseMatches(catalog, entry);
  if (matches.empty()) return "'" + entry + "' is not an instance type or family in us-east-1";
  return "'" + entry + "' is not an instance type or family (closest: " + JoinNames(matches) + ")";
}

// Adds what one entry names to `resolved`; false when it names nothing.
bool AddEntry(const InstanceCatalog& catalog, const std::string& entry,
              std::map<std::string, InstanceType>& resolved) {
  if (const std::vector<std::string>* families = KeywordFamilies(entry)) {
    for (const std::string& family : *families) {
      for (const InstanceType* type : catalog.Family(family)) resolved.emplace(type->name, *type);
    }
    return true;
  }
  if (const InstanceType* type = catalog.Find(entry)) {
    resolved.emplace(type->name, *type);
    return true;
  }
  if (entry.find('.') != std::string::npos) return false;
  std::vector<const InstanceType*> family = catalog.Family(entry);
  for (const InstanceType* type : family) resolved.emplace(type->name, *type);
  return !family.empty();
}

}  // namespace

const std::vector<std::string>& OptimalFamilies() {
  static const std::vector<std::string> kFamilies = {"c4", "m4", "r4", "c5", "m5", "r5"};
  return kFamilies;
}

const std::vector<std::string>& DefaultX8664Families() {
  static const std::vector<std::string> kFamilies = {"m6i", "c6i", "r6i", "c7i"};
  return kFamilies;
}

const std::vector<std::string>& DefaultArm64Families() {
  static const std::vector<std::string> kFamilies = {"m6g", "c6g", "r6g", "c7g"};
  return kFamilies;
}

std::vector<std::string> CloseMatches(const InstanceCatalog& catalog, std::string_view entry,
                                      size_t limit) {
  std::string lowered = Lowercase(entry);
  size_t threshold = std::max<size_t>(1, lowered.size() / 3);
  std::vector<std::string> candidates = catalog.FamilyNames();
  for (const auto& [name, type] : catalog.types()) candidates.push_back(name);
  for (const char* keyword : {"optimal", "default_x86_64", "default_arm64"}) {
    candidates.emplace_back(keyword);
  }
  std::vector<std::pair<size_t, std::string>> ranked;
  for (std::string& candidate : candidates) {
    size_t distance = EditDistance(lowered, candidate);
    if (distance <= threshold) ranked.emplace_back(distance, std::move(candidate));
  }
  std::sort(ranked.begin(), ranked.end());
  std::vector<std::string> matches;
  for (size_t i = 0; i < ranked.size() && i < limit; ++i) matches.push_back(ranked[i].second);
  return matches;
}

Result<std::vector<InstanceType>> ResolveInstanceTypes(const InstanceCatalog& catalog,
                                                       const std::vector<std::string>& entries) {
  if (entries.empty()) {
    return Status::InvalidArgument(
        "instanceTypes must name at least one instance type, family or optimal");
  }
  std::map<std::string, InstanceType> resolved;
  std::vector<std::string> problems;
  for (const std::string& entry : entries) {
    if (!AddEntry(catalog, entry, resolved))
      problems.push_back(DescribeUnknownEntry(catalog, entry));
  }
  if (!problems.empty()) {
    std::string message = "instanceTypes has unknown instance types: ";
    for (size_t i = 0; i < problems.size(); ++i) message += (i ? "; " : "") + problems[i];
    return Status::InvalidArgument(message);
  }
  std::vector<InstanceType> types;
  types.reserve(resolved.size());
  for (auto& [name, type] : resolved) types.push_back(std::move(type));
  return types;
}

Status CheckComputeResourcesInstanceTypes(const InstanceCatalog& catalog,
                                          const ComputeResources& resources) {
  std::vector<std::string> requested = resources.instance_types;
  if (requested.empty()) requested = {"optimal"};
  Result<std::vector<InstanceType>> types = ResolveInstanceTypes(catalog, requested);
  if (!types.ok()) {
    return Status::InvalidArgument("computeResources.instanceTypes is invalid: " +
                                   types.status().message());
  }
  bool spot = std::any_of(types->begin(), types->end(),
                          [](const InstanceType& type) { return type.spot.has_value(); });
  if (resources.type == "SPOT" && !spot) {
    return Status::InvalidArgument(
        "computeResources.instanceTypes is invalid: none of them is offered as spot");
  }
  return Status::Ok();
}

}  // namespace gleaner
