#pragma once

// Decoding many independent items on worker threads while the calling thread takes them in order:
// the pipeline of the start-up restore (state_records.cc), where parsing and decoding a million
// job records is the bulk of the work and each record is independent of the others, but
// BatchState must receive them one at a time, in store order, on its own thread.
//
// What the consumer sees does not depend on the threads' timing: the same items in the same order,
// and the same first error.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <thread>
#include <utility>
#include <vector>

#include "common/mutex.h"
#include "common/status.h"

namespace gleaner {

struct ParallelDecodeOptions {
  // Worker threads; 0: std::thread::hardware_concurrency(), at least 2.
  size_t threads = 0;
  // Items a worker decodes per hand-over: large enough that handing over costs nothing next to the
  // decoding, small enough that the consumer starts early and the workers finish together.
  size_t chunk_size = 256;
  // How far the workers may run ahead of the consumer, in chunks per worker: bounds the decoded
  // items waiting, and the wasted work when an item fails.
  size_t chunks_ahead_per_thread = 8;
};

// Where the time of DecodeInOrder went; each call adds to it.
struct ParallelDecodeStats {
  double decode_cpu_seconds = 0;  // decoding: the workers' CPU time, summed
  double consume_seconds = 0;     // the calling thread's time in `consume`
  double wait_seconds = 0;        // the calling thread's time waiting for decoded items
  size_t threads = 0;             // the most workers one call started (0: none were needed)
};

// Calls decode(i) -> Result<T> for every i in [0, count), on worker threads, and consume(T&&) on
// the calling thread for each decoded item, strictly in index order. Stops at the first item, in
// index order, that does not decode and returns its Status, having consumed every item before it
// and none after; an exception from `decode` is rethrown on the calling thread at that item's turn.
// Too few items for two chunks are decoded on the calling thread, starting no thread. `decode` must
// be safe to call from several threads at once.
template <typename T, typename Decode, typename Consume>
Status DecodeInOrder(size_t count, Decode decode, Consume consume,
                     const ParallelDecodeOptions& options = {},
                     ParallelDecodeStats* stats = nullptr);

// ---- implementation ----

namespace parallel_decode_internal {

double ThreadCpuSeconds();
double MonotonicSeconds();
size_t WorkerCount(size_t requested);

// One chunk's decoded items, in order; then, if an item did not decode, why.
template <typename T>
struct Chunk {
  std::vector<T> values;
  Status error;
  std::exception_ptr exception;
  bool done = false;
};

// The workers and the chunks they hand over. The destructor stops and joins the workers, so an
// early return or an exception on the consumer's side never leaves a thread running.
template <typename T, typename Decode>
class Pipeline {
 public:
  Pipeline(size_t count, Decode& decode, const ParallelDecodeOptions& options, size_t threads)
      : count_(count),
        chunk_size_(options.chunk_size),
        window_(threads * options.chunks_ahead_per_thread),
        decode_(decode),
        chunk_count_((count + options.chunk_size - 1) / options.chunk_size),
        chunks_(chunk_count_) {
    workers_.reserve(threads);
    for (size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;
  ~Pipeline() { Stop(); }

  size_t chunk_count() const { return chunk_count_; }

  // Chunk `index`, once decoded. Chunks are taken in order, each once.
  Chunk<T> Take(size_t index) {
    Chunk<T> chunk;
    {
      MutexLock lock(mutex_);
      decoded_.wait(lock.native(), [&]() GLEANER_REQUIRES(mutex_) { return chunks_[index].done; });
      chunk = std::move(chunks_[index]);
      taken_ = index + 1;
    }
    room_.notify_all();
    return chunk;
  }

  // Stops the workers (they drop what they have not handed over) and waits for them.
  void Stop() {
    {
      MutexLock lock(mutex_);
      stopping_ = true;
    }
    abandon_.store(true, std::memory_order_relaxed);
    room_.notify_all();
    for (std::thread& worker : workers_) {
      if (worker.joinable()) worker.join();
    }
  }

  // Valid once stopped.
  double decode_cpu_seconds() {
    MutexLock lock(mutex_);
    return decode_cpu_seconds_;
  }

 private:
  void Work() {
    double cpu_start = ThreadCpuSeconds();
    for (;;) {
      size_t index = 0;
      {
        MutexLock lock(mutex_);
        room_.wait(lock.native(), [&]() GLEANER_REQUIRES(mutex_) {
          return stopping_ || next_chunk_ >= chunk_count_ || next_chunk_ < taken_ + window_;
        });
        if (stopping_ || next_chunk_ >= chunk_count_) break;
        index = next_chunk_++;
      }
      Chunk<T> chunk = DecodeChunk(index);
      {
        MutexLock lock(mutex_);
        chunks_[index] = std::move(chunk);
        chunks_[index].done = true;
      }
      decoded_.notify_all();
    }
    double cpu = ThreadCpuSeconds() - cpu_start;
    MutexLock lock(mutex_);
    decode_cpu_seconds_ += cpu;
  }

  Chunk<T> DecodeChunk(size_t index) {
    Chunk<T> chunk;
    size_t begin = index * chunk_size_;
    size_t end = std::min(count_, begin + chunk_size_);
    chunk.values.reserve(end - begin);
    for (size_t i = begin; i < end; ++i) {
      if (abandon_.load(std::memory_order_relaxed)) break;  // nobody will take this chunk
      try {
        auto decoded = decode_(i);
        if (!decoded.ok()) {
          chunk.error = decoded.status();
          break;
        }
        chunk.values.push_back(std::move(decoded).value());
      } catch (...) {
        chunk.exception = std::current_exception();
        break;
      }
    }
    return chunk;
  }

  const size_t count_;
  const size_t chunk_size_;
  const size_t window_;
  Decode& decode_;
  std::atomic<bool> abandon_{false};

  const size_t chunk_count_;
  Mutex mutex_;
  std::condition_variable decoded_;  // a chunk is done: the consumer may be waiting for it
  std::condition_variable room_;     // the consumer took a chunk, or stop: workers may go on
  std::vector<Chunk<T>> chunks_ GLEANER_GUARDED_BY(mutex_);
  size_t next_chunk_ GLEANER_GUARDED_BY(mutex_) = 0;  // the next chunk a worker claims
  size_t taken_ GLEANER_GUARDED_BY(mutex_) = 0;       // chunks the consumer has taken
  bool stopping_ GLEANER_GUARDED_BY(mutex_) = false;
  double decode_cpu_seconds_ GLEANER_GUARDED_BY(mutex_) = 0;
  std::vector<std::thread> workers_;  // last: started once everything above is ready
};

}  // namespace parallel_decode_internal

template <typename T, typename Decode, typename Consume>
Status DecodeInOrder(size_t count, Decode decode, Consume consume,
                     const ParallelDecodeOptions& options, ParallelDecodeStats* stats) {
  namespace internal = parallel_decode_internal;
  ParallelDecodeStats local;
  ParallelDecodeStats& out = stats != nullptr ? *stats : local;
  ParallelDecodeOptions sane = options;
  sane.chunk_size = std::max<size_t>(sane.chunk_size, 1);
  sane.chunks_ahead_per_thread = std::max<size_t>(sane.chunks_ahead_per_thread, 1);
  if (count < 2 * sane.chunk_size) {
    for (size_t i = 0; i < count; ++i) {
      double cpu_start = internal::ThreadCpuSeconds();
      auto decoded = decode(i);
      out.decode_cpu_seconds += internal::ThreadCpuSeconds() - cpu_start;
      if (!decoded.ok()) return decoded.status();
      double consume_start = internal::MonotonicSeconds();
      consume(std::move(decoded).value());
      out.consume_seconds += internal::MonotonicSeconds() - consume_start;
    }
    return Status::Ok();
  }
  size_t threads = internal::WorkerCount(options.threads);
  out.threads = std::max(out.threads, threads);
  internal::Pipeline<T, Decode> pipeline(count, decode, sane, threads);
  Status status;
  for (size_t index = 0; index < pipeline.chunk_count(); ++index) {
    double wait_start = internal::MonotonicSeconds();
    internal::Chunk<T> chunk = pipeline.Take(index);
    double consume_start = internal::MonotonicSeconds();
    out.wait_seconds += consume_start - wait_start;
    for (T& value : chunk.values) consume(std::move(value));
    out.consume_seconds += internal::MonotonicSeconds() - consume_start;
    if (chunk.exception) {
      pipeline.Stop();
      out.decode_cpu_seconds += pipeline.decode_cpu_seconds();
      std::rethrow_exception(chunk.exception);
    }
    if (!chunk.error.ok()) {
      status = std::move(chunk.error);
      break;
    }
  }
  pipeline.Stop();
  out.decode_cpu_seconds += pipeline.decode_cpu_seconds();
  return status;
}

}  // namespace gleaner
