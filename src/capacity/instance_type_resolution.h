#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "capacity/instance_catalog.h"
#include "common/status.h"
#include "model/compute_environment.h"

namespace gleaner {

// What `optimal` stands for: the families AWS documents for it (c4, m4, r4, c5, m5, r5). AWS moved
// `optimal` to the default_x86_64 families for new accounts from 2025-11-01; gleaner keeps the
// long-documented set, which is what tutorials and existing compute environments expect.
const std::vector<std::string>& OptimalFamilies();
// `default_x86_64`: m6i, c6i, r6i, c7i. `default_arm64`: m6g, c6g, r6g, c7g.
const std::vector<std::string>& DefaultX8664Families();
const std::vector<std::string>& DefaultArm64Families();

// Resolves a compute environment's `instanceTypes` to catalog types: exact sizes ("m5.xlarge"),
// families ("m5": every m5.* size, metal included), `optimal`, `default_x86_64`, `default_arm64`.
// The result is sorted by name without duplicates. Unknown entries give one InvalidArgument that
// names each of them with its closest matches (the sizes of the family, or similar names).
Result<std::vector<InstanceType>> ResolveInstanceTypes(const InstanceCatalog& catalog,
                                                       const std::vector<std::string>& entries);

// What CreateComputeEnvironment checks at once in a MANAGED EC2/SPOT environment, as AWS does:
// every `instanceTypes` entry resolves (none given: `optimal`), and a SPOT environment has some
// offered as spot. The error names computeResources.instanceTypes.
Status CheckComputeResourcesInstanceTypes(const InstanceCatalog& catalog,
                                          const ComputeResources& resources);

// Up to `limit` catalog type or family names closest to `entry` by edit distance, closest first.
std::vector<std::string> CloseMatches(const InstanceCatalog& catalog, std::string_view entry,
                                      size_t limit = 3);

}  // namespace gleaner
