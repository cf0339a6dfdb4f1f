#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/resources.h"

namespace gleaner {

class HostEvents;

// A piece of a provider's durable state under a key of its own: a JSON document, or a delete.
struct ProviderRecord {
  std::string key;
  std::string document;  // ignored for a delete
  bool is_delete = false;
  bool operator==(const ProviderRecord&) const = default;
};

// Where hosts come from beyond those added once at start (local capacity): the simulated cloud
// today, agents later. Runs on the scheduler thread, between the engine's passes.
class CapacityProvider {
 public:
  virtual ~CapacityProvider() = default;
  // Brings the provider up to now: hosts ready, notices, deadlines, scale-in; and tells the
  // state what each compute environment it scales may still add.
  virtual void Advance(HostEvents& state) = 0;
  // Adds capacity for a Schedule() pass's requests (Decisions::capacity_requests).
  virtual void Provide(HostEvents& state,
                       const std::map<std::string, std::vector<Resources>>& requests) = 0;
  // When Advance next has something to do; nullopt: only when something else happens.
  virtual std::optional<EpochMillis> NextEventAt() const = 0;

  // A provider whose hosts outlive a restart of the server (the simulated cloud's instances)
  // keeps what it needs in the store: the engine persists what changed after every pass, with
  // the state's changes, and hands the records back at start, after the state's records and
  // before BatchState::FinishRestore, so that the hosts exist again when their attempts are
  // looked at. Providers without durable state keep the defaults. (One durable provider per
  // server: the records share one key space.)
  virtual std::vector<ProviderRecord> TakeChangedRecords() { return {}; }
  virtual Status Restore(const std::vector<ProviderRecord>& /*records*/, HostEvents& /*state*/) {
    return Status::Ok();
  }
};

}  // namespace gleaner
