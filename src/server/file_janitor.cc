#include "server/file_janitor.h"

#include <filesystem>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gleaner {

FileJanitor::FileJanitor() : thread_([this] { Run(); }) {}

FileJanitor::~FileJanitor() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void FileJanitor::Remove(std::vector<std::string> paths) {
  if (paths.empty()) return;
  {
    MutexLock lock(mutex_);
    for (std::string& path : paths) queue_.push_back(std::move(path));
  }
  changed_.notify_all();
}

void FileJanitor::Drain() {
  MutexLock lock(mutex_);
  changed_.wait(lock.native(),
                [this]() GLEANER_REQUIRES(mutex_) { return queue_.empty() && !busy_; });
}

void FileJanitor::Run() {
  MutexLock lock(mutex_);
  while (true) {
    changed_.wait(lock.native(),
                  [this]() GLEANER_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and nothing left
    std::string path = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.Unlock();
    std::error_code error;
    std::filesystem::remove_all(path, error);  // a file, or a directory with what it holds
    if (error) spdlog::warn("cannot remove {}: {}", path, error.message());
    lock.Lock();
    busy_ = false;
    if (queue_.empty()) changed_.notify_all();
  }
}

}  // namespace gleaner
