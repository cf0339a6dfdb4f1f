#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/tls_identity.h"
#include "common/status.h"

namespace gleaner {

// gleaner's own certificate authority, for the AWS service names it answers inside a job's
// network (*.amazonaws.com): jobs trust it through the variables SDKs read (AWS_CA_BUNDLE, ...),
// never through the machine's trust store. Kept in a directory of its own, so that what jobs were
// told to trust stays valid across restarts. ECDSA P-256 throughout.
class CertificateAuthority {
 public:
  // The authority in `directory` (ca.pem and the 0600 ca-key.pem), made there on first use.
  static Result<std::unique_ptr<CertificateAuthority>> OpenOrCreate(const std::string& directory);
  ~CertificateAuthority();
  CertificateAuthority(const CertificateAuthority&) = delete;
  CertificateAuthority& operator=(const CertificateAuthority&) = delete;

  const std::string& certificate_pem() const { return certificate_pem_; }
  const std::string& certificate_file() const { return certificate_file_; }

  // A server certificate for `dns_names` (exact names or "*." wildcards), signed by this
  // authority, valid for a year. Every certificate issued by one object shares one key, made when
  // it opened. Any thread.
  Result<TlsIdentity> IssueServerCertificate(const std::vector<std::string>& dns_names) const;

 private:
  struct Keys;
  CertificateAuthority(std::unique_ptr<Keys> keys, std::string certificate_pem,
                       std::string certificate_file);

  std::unique_ptr<Keys> keys_;
  std::string certificate_pem_;
  std::string certificate_file_;
};

}  // namespace gleaner
