#include "runtime/container_arguments.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace gleaner {
namespace {

ContainerEngine Podman() {
  ContainerEngine engine;
  engine.program = "/usr/bin/podman";
  engine.global_flags = {"--log-level=error"};
  engine.default_ulimits = {{"nofile", 1024, 4096}, {"nproc", 32768, 32768}};
  return engine;
}

bool Has(const std::vector<std::string>& argv, const std::string& argument) {
  return std::find(argv.begin(), argv.end(), argument) != argv.end();
}

TEST(ContainerArgumentsTest, ImageWithoutCommandRunsItsOwnCmd) {
  ContainerSpec spec;
  spec.image = "hello-world";
  spec.name = "gleaner-x-1";
  std::vector<std::string> argv = RunArguments(Podman(), spec, {"ignored"}, "/e");
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[0], "/usr/bin/podman");
  EXPECT_EQ(argv[1], "--log-level=error");
  EXPECT_EQ(argv[2], "run");
  EXPECT_EQ(argv.back(), "hello-world");
  EXPECT_TRUE(Has(argv, "--name=gleaner-x-1"));
  EXPECT_TRUE(Has(argv, "--network=host"));
  EXPECT_TRUE(Has(argv, "--pull=never"));
  ContainerEngine owned = Podman();
  owned.owner = "/root/.gleaner";
  EXPECT_TRUE(Has(RunArguments(owned, spec, {}, "/e"), "--label=io.gleaner.owner=/root/.gleaner"));
  EXPECT_TRUE(Has(ListOwnedArguments(owned), "--filter=label=io.gleaner.owner=/root/.gleaner"));
}

TEST(ContainerArgumentsTest, CommandFollowsTheImage) {
  ContainerSpec spec;
  spec.image = "busybox";
  spec.name = "n";
  spec.has_command = true;
  std::vector<std::string> argv = RunArguments(Podman(), spec, {"python", "process.py"}, "/e");
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[argv.size() - 3], "busybox");
  EXPECT_EQ(argv[argv.size() - 2], "python");
  EXPECT_EQ(argv.back(), "process.py");
}

TEST(ContainerArgumentsTest, VariablesGoThroughAnEnvFileNeverTheCommandLine) {
  ContainerSpec spec;
  spec.image = "i";
  spec.environment = {"SECRET=hunter2", "AWS_BATCH_JOB_ID=abc"};
  std::vector<std::string> argv = RunArguments(Podman(), spec, {}, "/data/attempts/x.env");
  EXPECT_TRUE(Has(argv, "--env-file=/data/attempts/x.env"));
  for (const std::string& argument : argv) {
    EXPECT_EQ(argument.find("hunter2"), std::string::npos) << argument;
  }
  EXPECT_EQ(EnvFileText(spec), "SECRET=hunter2\nAWS_BATCH_JOB_ID=abc\n");
  spec.environment.clear();
  EXPECT_FALSE(Has(RunArguments(Podman(), spec, {}, "/e"), "--env-file=/e"));
}

TEST(ContainerArgumentsTest, WhatTheEngineCannotTakeSafelyIsRefused) {
  ContainerSpec spec;
  spec.image = "i";
  EXPECT_TRUE(CheckContainerSpec(spec).ok());
  spec.environment = {"*=x"};  // podman would copy every variable of its own for it
  EXPECT_FALSE(CheckContainerSpec(spec).ok());
  spec.environment = {"GOOD_NAME.x-y=value with = and spaces"};
  EXPECT_TRUE(CheckContainerSpec(spec).ok());
  spec.environment = {"MULTI=line\nbreak"};
  EXPECT_NE(CheckContainerSpec(spec).message().find("line break"), std::string::npos);
  spec.environment.clear();
  spec.mounts = {{"/srv", "/data:U", false}};  // ':' would add a volume option
  EXPECT_NE(CheckContainerSpec(spec).message().find("/data:U"), std::string::npos);
  spec.mounts = {{"relative", "/data", false}};
  EXPECT_FALSE(CheckContainerSpec(spec).ok());
  spec.mounts = {{"", "/scratch", false}};
  EXPECT_TRUE(CheckContainerSpec(spec).ok());
}

TEST(ContainerArgumentsTest, Ec2CpuIsAWeightAndFargateCpuAQuota) {
  ContainerSpec spec;
  spec.image = "i";
  spec.millivcpus = 2500;
  spec.memory_mib = 512;
  std::vector<std::string> ec2 = RunArguments(Podman(), spec, {}, "/e");
  EXPECT_TRUE(Has(ec2, "--cpu-shares=2560"));
  EXPECT_TRUE(Has(ec2, "--memory=512m"));
  spec.hard_cpu_limit = true;
  std::vector<std::string> fargate = RunArguments(Podman(), spec, {}, "/e");
  EXPECT_TRUE(Has(fargate, "--cpus=2.5"));
  EXPECT_FALSE(Has(fargate, "--cpu-shares=2560"));
}

TEST(ContainerArgumentsTest, LinuxParametersAndSwap) {
  ContainerSpec spec;
  spec.image = "i";
  spec.memory_mib = 256;
  spec.max_swap_mib = 0;
  spec.swappiness = 10;
  spec.shared_memory_mib = 64;
  spec.init_process = true;
  spec.tmpfs = {{"/scratch", 32, {"noexec", "nosuid"}}};
  spec.devices = {{"/dev/fuse", "", "rw"}};
  std::vector<std::string> argv = RunArguments(Podman(), spec, {}, "/e");
  EXPECT_TRUE(Has(argv, "--memory-swap=256m"));  // maxSwap 0: no swap at all
  EXPECT_TRUE(Has(argv, "--memory-swappiness=10"));
  EXPECT_TRUE(Has(argv, "--shm-size=64m"));
  EXPECT_TRUE(Has(argv, "--init"));
  EXPECT_TRUE(Has(argv, "--tmpfs=/scratch:size=32m,noexec,nosuid"));
  EXPECT_TRUE(Has(argv, "--device=/dev/fuse:/dev/fuse:rw"));
}

TEST(ContainerArgumentsTest, UlimitsKeepTheEngineDefaultsTheJobDoesNotSet) {
  ContainerSpec spec;
  spec.image = "i";
  spec.ulimits = {{"nofile", 2048, 2048}};
  std::vector<std::string> argv = RunArguments(Podman(), spec, {}, "/e");
  EXPECT_TRUE(Has(argv, "--ulimit=nofile=2048:2048"));
  EXPECT_TRUE(Has(argv, "--ulimit=nproc=32768:32768"));
  EXPECT_FALSE(Has(argv, "--ulimit=nofile=1024:4096"));
  spec.ulimits.clear();
  EXPECT_FALSE(Has(RunArguments(Podman(), spec, {}, "/e"), "--ulimit=nproc=32768:32768"));
}

TEST(ContainerArgumentsTest, MountsUserAndReadOnlyRoot) {
  ContainerSpec spec;
  spec.image = "i";
  spec.user = "65534";
  spec.privileged = true;
  spec.readonly_root_filesystem = true;
  spec.mounts = {{"/srv/data", "/data", true}, {"", "/scratch", false}};
  std::vector<std::string> argv = RunArguments(Podman(), spec, {}, "/e");
  EXPECT_TRUE(Has(argv, "--user=65534"));
  EXPECT_TRUE(Has(argv, "--privileged"));
  EXPECT_TRUE(Has(argv, "--read-only"));
  EXPECT_TRUE(Has(argv, "--read-only-tmpfs=false"));
  EXPECT_TRUE(Has(argv, "--volume=/srv/data:/data:ro"));
  EXPECT_TRUE(Has(argv, "--volume=/scratch"));
  ContainerEngine docker = Podman();
  docker.kind = ContainerEngine::Kind::kDocker;
  EXPECT_FALSE(Has(RunArguments(docker, spec, {}, "/e"), "--read-only-tmpfs=false"));
}

TEST(ContainerArgumentsTest, NamesAndCpus) {
  EXPECT_EQ(ContainerNameFor("6f1c-aa:3", 2), "gleaner-6f1c-aa.3-2");
  EXPECT_EQ(ContainerNameFor("6f1c#1", 1), "gleaner-6f1c_1-1");
  EXPECT_EQ(CpusText(250), "0.25");
  EXPECT_EQ(CpusText(4000), "4");
  EXPECT_EQ(CpusText(1005), "1.005");
}

TEST(ContainerArgumentsTest, EngineCommands) {
  ContainerEngine engine = Podman();
  EXPECT_EQ(KillArguments(engine, "n", 15).back(), "n");
  EXPECT_TRUE(Has(KillArguments(engine, "n", 15), "--signal=15"));
  EXPECT_TRUE(Has(RemoveArguments(engine, "n"), "--force"));
  EXPECT_EQ(PullArguments(engine, "img").back(), "img");
}

}  // namespace
}  // namespace gleaner
