#pragma once

// Hand-made catalogs for the capacity module's tests.

#include <gtest/gtest.h>

#include <string>

#include "capacity/instance_catalog.h"

namespace gleaner::testing {

inline InstanceCatalog CatalogOf(const std::string& rows) {
  Result<InstanceCatalog> catalog = InstanceCatalog::FromCsv(
      "instance_type,vcpu,memory_mib,gpu,on_demand_usd_per_hour,spot_savings_pct,"
      "interruption_bucket\n" +
      rows);
  EXPECT_TRUE(catalog.ok()) << catalog.status().message();
  return std::move(catalog).value();
}

}  // namespace gleaner::testing
