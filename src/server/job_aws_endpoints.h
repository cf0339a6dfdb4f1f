#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/certificate_authority.h"
#include "api/dns_server.h"
#include "api/http_server.h"
#include "common/status.h"

namespace gleaner {

// What lets a job reach gleaner under AWS's own names (https://my-bucket.s3.amazonaws.com), for
// SDKs that ignore AWS_ENDPOINT_URL: gleaner's certificate authority and the files that make a
// job trust it, the resolver of the jobs' networks and its resolv.conf. Kept in a directory of
// the data directory: the authority stays the same across restarts.
class JobAwsEndpoints {
 public:
  // Names resolved to gleaner in jobs' networks, each with every name under it.
  static const std::vector<std::string>& ServedSuffixes();

  // Sets it up in `directory`, for the addresses of AttemptNetworkHost.
  // `server_certificate_file`: gleaner's own --tls-cert (trusted too, so that a job also verifies
  // gleaner at AWS_ENDPOINT_URL); empty when none.
  static Result<std::unique_ptr<JobAwsEndpoints>> Open(const std::string& directory,
                                                       const std::string& server_certificate_file);

  // The certificate for the name a client asks for: that name alone when it is one of AWS's,
  // "*.amazonaws.com" otherwise (HttpServer::AddTlsCertificates).
  TlsIdentityFor Certificates() const;
  // Adds the variables SDKs and TLS libraries read for their trusted certificates, unless the
  // job set them: AWS_CA_BUNDLE, REQUESTS_CA_BUNDLE, SSL_CERT_FILE, CURL_CA_BUNDLE (gleaner's CA,
  // the machine's and gleaner's own certificate) and NODE_EXTRA_CA_CERTS (gleaner's CA alone:
  // Node adds it to its own).
  void AddTrustEnvironment(std::vector<std::string>& environment) const;

  DnsServer& resolver() { return *resolver_; }
  const std::string& resolv_conf() const { return resolv_conf_; }
  // The files a job reads (for containers to mount).
  std::vector<std::string> SharedFiles() const { return {authority_file_, bundle_file_}; }

 private:
  JobAwsEndpoints() = default;

  std::unique_ptr<CertificateAuthority> authority_;
  std::unique_ptr<DnsServer> resolver_;
  std::string authority_file_;
  std::string bundle_file_;
  std::string resolv_conf_;
};

}  // namespace gleaner
