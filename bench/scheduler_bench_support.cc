// gleaner_scheduler_bench: measuring (time, memory, child processes) and memory accounting.
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iostream>

#include "bench/scheduler_bench.h"

namespace gleaner::bench {

double SecondsSince(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// CPU time of this process: less disturbed than wall time by other work sharing the machine.
double CpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

double LoadAverage() {
  std::ifstream loadavg("/proc/loadavg");
  double one_minute = 0;
  loadavg >> one_minute;
  return one_minute;
}

int64_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0;
  int64_t resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

int64_t PeakResidentBytes() {  // VmHWM
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
  }
  return 0;
}

int64_t HeapInUse() {
  struct mallinfo2 info = mallinfo2();
  return static_cast<int64_t>(info.uordblks + info.hblkhd);
}

double Median(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t mid = values.size() / 2;
  return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

// Runs `body` in a child process and returns what it returned. A fresh process per repetition keeps
// one run's heap (and the allocator's cached free memory) out of the next run's figures.
json InChild(const std::function<json()>& body) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
  std::cout.flush();
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    std::string out;
    int code = 0;
    try {
      double load_before = LoadAverage();
      json result = body();
      result["load_average_before"] = load_before;
      result["load_average_after"] = LoadAverage();
      out = result.dump();
    } catch (const std::exception& error) {
      out = json{{"error", error.what()}}.dump();
      code = 1;
    }
    for (size_t written = 0; written < out.size();) {
      ssize_t n = write(fds[1], out.data() + written, out.size() - written);
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    close(fds[1]);
    _exit(code);  // skip destructors: freeing millions of jobs one by one is not a figure
  }
  close(fds[1]);
  std::string text;
  char buffer[65536];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  json result = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (result.is_discarded() || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("benchmark child failed: " + text);
  }
  return result;
}

void Log(const std::string& message) { std::cerr << "[scheduler-bench] " << message << std::endl; }

// ---- memory accounting ----

namespace {

// Heap bytes glibc's malloc spends on one allocation (chunk header and rounding included).
size_t Chunk(const void* pointer) {
  return pointer == nullptr ? 0 : malloc_usable_size(const_cast<void*>(pointer)) + sizeof(size_t);
}
// What malloc spends on a request of `bytes` (for nodes inside BatchState, which are private).
size_t NominalChunk(size_t bytes) { return std::max<size_t>(32, (bytes + 8 + 15) & ~size_t{15}); }
size_t HeapOf(const std::string& text) { return text.capacity() > 15 ? Chunk(text.data()) : 0; }
template <typename T>
size_t BufferOf(const std::vector<T>& items) {
  return items.capacity() == 0 ? 0 : Chunk(items.data());
}
size_t HeapOf(const json& value) {
  if (value.is_object()) {
    size_t bytes = NominalChunk(sizeof(json::object_t));
    for (const auto& [key, member] : value.items()) {
      bytes += NominalChunk(32 + sizeof(std::pair<const std::string, json>)) +
               (key.size() > 15 ? NominalChunk(key.size() + 1) : 0) + HeapOf(member);
    }
    return bytes;
  }
  if (value.is_string())
    return NominalChunk(sizeof(std::string)) + HeapOf(value.get_ref<const std::string&>());
  return 0;
}

// Where one job's bytes go, by what they hold. Nodes of BatchState's private containers are counted
// from their known shapes (libstdc++: a red-black node is 32 bytes of links before its value).
}  // namespace

json JobBreakdown(const Job& job) {
  const ContainerProperties& container = *job.container.properties;
  // Shared with the job definition: stored once, not per job.
  const bool container_shared = job.container.properties.Shared();
  size_t command = BufferOf(container.command);
  for (const std::string& word : container.command) command += HeapOf(word);
  size_t requirements = BufferOf(container.resource_requirements);
  for (const ResourceRequirement& requirement : container.resource_requirements) {
    requirements += HeapOf(requirement.type) + HeapOf(requirement.value);
  }
  size_t environment = BufferOf(container.environment);
  for (const KeyValuePair& variable : container.environment) {
    environment += HeapOf(variable.name) + HeapOf(variable.value);
  }
  size_t other =
      HeapOf(job.status_reason) + HeapOf(job.share_identifier) + HeapOf(container.instance_type) +
      BufferOf(job.depends_on) + BufferOf(job.attempts) + BufferOf(job.platform_capabilities) +
      job.parameters.size() * NominalChunk(32 + 64) + job.tags.size() * NominalChunk(32 + 64);
  const AttemptContainer& current = *job.container.current;
  other += HeapOf(current.container_instance_arn) + HeapOf(current.task_arn) +
           HeapOf(current.reason) + HeapOf(current.log_stream_name);
  size_t key_heap = HeapOf(job.job_id);  // the id again as the key of jobs_
  size_t container_heap = HeapOf(container.image) + command + requirements + environment +
                          HeapOf(container.passthrough);
  // Inline members of Job by group (sizeof, inside the jobs_ node).
  size_t inline_strings = 6 * sizeof(std::string);  // id, name, queue, definition, reason, share
  size_t inline_attempt = sizeof(job.container.current) + sizeof(job.placement);
  size_t inline_container = sizeof(job.container.properties);
  return json{
      {"heap",
       {{"jobs_map_node (Job inline + key + links)",
         NominalChunk(32 + sizeof(std::pair<const std::string, Job>))},
        {"jobs_map_key", key_heap},
        {"job_id", HeapOf(job.job_id)},
        {"job_name", HeapOf(job.job_name)},
        {"container_properties (image, command, requirements, environment, passthrough)",
         container_shared ? 0 : container_heap},
        {"other", other},
        {"queue_index_node", NominalChunk(32 + sizeof(Job*))}}},
      {"inline",
       {{"sizeof_job", sizeof(Job)},
        {"six_strings", inline_strings},
        {"container_properties_handle", inline_container},
        {"current_attempt_container_and_placement_handles", inline_attempt},
        {"rest", sizeof(Job) - inline_strings - inline_attempt - inline_container}}},
  };
}

}  // namespace gleaner::bench
