#pragma once

#include <exception>
#include <string>

#include "common/status.h"

namespace gleaner {

// Runs `work` and turns an exception escaping it into an Internal Status instead of letting it end
// the thread (and with it the process). For the top of every long-lived thread's loop and every
// callback a thread runs for others: an exception there is a bug to log and survive (Envoy's
// ENVOY_BUG), never a reason to abort a server that holds other people's work.
template <typename Work>
Status Contain(Work&& work) noexcept {
  try {
    work();
    return Status::Ok();
  } catch (const std::exception& e) {
    try {
      return Status::Internal(std::string("unexpected exception: ") + e.what());
    } catch (...) {
      return Status(StatusCode::kInternal, {});  // out of memory while describing it
    }
  } catch (...) {
    return Status(StatusCode::kInternal, {});
  }
}

}  // namespace gleaner
