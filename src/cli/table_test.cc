#include "cli/table.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

TEST(TableTest, PadsColumnsToTheirWidestCell) {
  Table table({"ID", "STATUS", "REASON"});
  table.AddRow({"a1", "RUNNING", ""}, "RUNNING");
  table.AddRow({"b", "FAILED", "Essential container exited"}, "FAILED");
  EXPECT_EQ(table.Render(false),
            "ID  STATUS   REASON\n"
            "a1  RUNNING\n"
            "b   FAILED   Essential container exited\n");
}

TEST(TableTest, ColoursRowsByStatusOnlyWhenAsked) {
  Table table({"STATUS"});
  table.AddRow({"FAILED"}, "FAILED");
  table.AddRow({"PENDING"}, "PENDING");
  EXPECT_EQ(table.Render(true), "\033[1mSTATUS\033[0m\n\033[31mFAILED\033[0m\nPENDING\n");
}

TEST(TableTest, WidthsCountCharactersNotBytes) {
  Table table({"NAME", "X"});
  table.AddRow({"é", "1"});
  EXPECT_EQ(table.Render(false), "NAME  X\né     1\n");
}

TEST(FormatDurationTest, PicksTheTwoLargestUnits) {
  EXPECT_EQ(FormatDuration(45'000), "45s");
  EXPECT_EQ(FormatDuration(192'000), "3m12s");
  EXPECT_EQ(FormatDuration(7'500'000), "2h05m");
  EXPECT_EQ(FormatDuration(273'600'000), "3d04h");
  EXPECT_EQ(FormatDuration(-5), "0s");
}

}  // namespace
}  // namespace gleaner
