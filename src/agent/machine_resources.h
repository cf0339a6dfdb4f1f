#pragma once

#include <cstdint>
#include <string>

#include "model/resources.h"

namespace gleaner {

// What this machine has: its online CPUs, physical memory and NVIDIA GPUs (/dev/nvidia<N>).
Resources MachineResources();

// The NVIDIA GPU device files in `device_directory`: names "nvidia" followed by digits only
// (not nvidiactl, nvidia-uvm, ...).
int64_t CountNvidiaGpus(const std::string& device_directory);

}  // namespace gleaner
