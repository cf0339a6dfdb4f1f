#pragma once

#include <signal.h>
#include <spawn.h>

namespace gleaner {

// posix_spawn attributes for a child that starts clean of gleaner's signal handling: gleaner
// blocks the signals it waits for (sigwait) and may ignore others, and a child inherits both;
// with these it starts with none blocked and every signal at its default action (SIGKILL and
// SIGSTOP cannot be changed and are skipped). With `new_process_group`, the child leads a group
// of its own whose id is its pid. posix_spawn only reads them: one may serve many spawns, from
// any thread.
class CleanSpawnAttributes {
 public:
  explicit CleanSpawnAttributes(bool new_process_group) {
    posix_spawnattr_init(&attributes_);
    sigset_t none;
    sigemptyset(&none);
    sigset_t all;
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (new_process_group) flags = static_cast<short>(flags | POSIX_SPAWN_SETPGROUP);
    ok_ = posix_spawnattr_setflags(&attributes_, flags) == 0 &&
          posix_spawnattr_setpgroup(&attributes_, 0) == 0 &&
          posix_spawnattr_setsigmask(&attributes_, &none) == 0 &&
          posix_spawnattr_setsigdefault(&attributes_, &all) == 0;
  }
  ~CleanSpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  CleanSpawnAttributes(const CleanSpawnAttributes&) = delete;
  CleanSpawnAttributes& operator=(const CleanSpawnAttributes&) = delete;

  bool ok() const { return ok_; }  // false only if the C library refused a setting
  const posix_spawnattr_t* get() const { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
  bool ok_ = false;
};

}  // namespace gleaner
