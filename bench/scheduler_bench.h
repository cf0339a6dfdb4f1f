// Shared by gleaner_scheduler_bench's files: measuring helpers, the options, and reporting.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "common/status.h"
#include "model/job.h"

namespace gleaner::bench {

using json = nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

struct Options {
  std::vector<std::string> figures = {"schedule", "starvation", "memory", "array", "restore"};
  int reps = 3;
  int64_t jobs = 1'000'000;
  int queues = 100;
  int environments = 10;
  int hosts = 10'000;
  int rounds = 100;
  int exits_per_round = 1'000;
  int array_size = 10'000;
  int64_t restore_jobs = 1'000'000;
  int64_t starvation_backlog = 100'000;
  std::string tmp = "/tmp";
  std::string markdown;
  uint64_t seed = 42;
};

// ---- measuring (scheduler_bench_support.cc) ----

double SecondsSince(SteadyClock::time_point start);
// CPU time of this process: less disturbed than wall time by other work sharing the machine.
double CpuSeconds();
double LoadAverage();  // 1 minute
int64_t ResidentBytes();
int64_t PeakResidentBytes();  // VmHWM
int64_t HeapInUse();          // malloc's bytes in use (mallinfo2)
double Median(std::vector<double> values);
void Log(const std::string& message);

// Runs `body` in a child process and returns what it returned, plus the load average around it. A
// fresh process per repetition keeps one run's heap (and the allocator's cached free memory) out
// of the next run's figures.
json InChild(const std::function<json()>& body);

// Where one job's bytes go: heap by member (malloc chunks included) and sizeof by member group.
json JobBreakdown(const Job& job);

// Adds the time `body` takes to `total`.
template <typename Body>
auto Timed(double& total, Body&& body) {
  auto start = SteadyClock::now();
  if constexpr (std::is_void_v<decltype(body())>) {
    body();
    total += SecondsSince(start);
  } else {
    auto result = body();
    total += SecondsSince(start);
    return result;
  }
}

template <typename T>
T Must(Result<T> result, const char* what) {
  if (!result.ok()) throw std::runtime_error(std::string(what) + ": " + result.status().message());
  return std::move(result).value();
}

// ---- reporting (scheduler_bench_report.cc) ----

struct Figure {
  std::string name;   // JSON key
  std::string title;  // table row
  std::string unit;
  double value = 0;
  double goal = 0;
  bool higher_is_better = false;
  std::vector<double> runs;
  json details;

  bool MeetsGoal() const { return higher_is_better ? value >= goal : value <= goal; }
};

Figure MakeFigure(std::string name, std::string title, std::string unit, double goal,
                  bool higher_is_better, const std::vector<json>& runs, const std::string& key);
std::string Format(double value, int decimals = 0);
// One JSON line on stdout.
void Print(const Figure& figure);
json ParamsOf(const Options& options);
// The "Scheduler core" section's generated block, written into `path` (the rest is kept).
void WriteMarkdown(const std::string& path, const Options& options,
                   const std::vector<Figure>& figures, const json& store);
// --render: rebuilds the markdown from the JSON lines of an earlier run (no measuring).
int Render(const std::string& jsonl, const std::string& markdown);

}  // namespace gleaner::bench
