#pragma once

#include <string>

#include "api/batch_executor.h"
#include "api/http_server.h"

namespace gleaner {

class Ec2Cloud;

// The EC2 subset the simulated cloud answers on gleaner's endpoint, in EC2's query protocol
// (POST / with Action=...&Version=2016-11-15, XML answers): RequestSpotInstances,
// DescribeSpotInstanceRequests, CancelSpotInstanceRequests, DescribeInstances, TerminateInstances
// and DescribeSpotPriceHistory. Parameters are checked on the HTTP thread; the actions run on the
// scheduler thread through the executor, against the cloud. `cloud` may be null (`--capacity
// local`): every action then answers that it needs the simulated cloud.
class Ec2Api {
 public:
  Ec2Api(BatchExecutor& executor, Ec2Cloud* cloud) : executor_(executor), cloud_(cloud) {}

  // `request_id` goes into the XML answer (and the error) as EC2 puts it there.
  void Handle(const HttpRequest& request, const std::string& request_id, Responder respond);

 private:
  BatchExecutor& executor_;
  Ec2Cloud* cloud_;
};

// Whether a request on the one endpoint is meant for EC2: a form-encoded POST / or one whose
// parameters name an Action.
bool IsEc2Request(const HttpRequest& request);

}  // namespace gleaner
