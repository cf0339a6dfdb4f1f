#include "agent/machine_resources.h"

#include <stdlib.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace gleaner {
namespace {

namespace fs = std::filesystem;

TEST(MachineResourcesTest, CountsOnlyNumberedNvidiaDevices) {
  std::string pattern = (fs::temp_directory_path() / "gleaner-dev-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  fs::path dev = pattern;
  for (const char* name : {"nvidia0", "nvidia1", "nvidia12", "nvidiactl", "nvidia-uvm",
                           "nvidia-modeset", "nvidia", "null", "nvidia1a"}) {
    std::ofstream(dev / name).put('\n');
  }
  EXPECT_EQ(CountNvidiaGpus(dev.string()), 3);
  fs::remove_all(dev);
  EXPECT_EQ(CountNvidiaGpus(dev.string()), 0);  // gone: none
}

TEST(MachineResourcesTest, OffersAtLeastOneVcpuAndSomeMemory) {
  Resources machine = MachineResources();
  EXPECT_GE(machine.millivcpus, 1000);
  EXPECT_EQ(machine.millivcpus % 1000, 0);
  EXPECT_GT(machine.memory_mib, 0);
  EXPECT_GE(machine.gpus, 0);
}

}  // namespace
}  // namespace gleaner
