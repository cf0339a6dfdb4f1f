#pragma once

#include <signal.h>

namespace gleaner {

// What a long-running gleaner process (`gleaner up`, `gleaner agent`) does before any thread
// starts: raises its open-file limit to the hard limit (each running attempt holds a descriptor,
// each client connection one; the usual soft limit is 1,024), ignores SIGPIPE, and blocks SIGINT
// and SIGTERM so every thread inherits the mask and only the caller's sigwait sees them (attempts
// get a clean mask from the launcher). Returns those stop signals.
sigset_t PrepareDaemonProcess();

}  // namespace gleaner
