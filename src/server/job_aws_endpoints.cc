#include "server/job_aws_endpoints.h"

#include <arpa/inet.h>

#include <cstring>
#include <fstream>
#include <sstream>

#include "api/dns_message.h"
#include "common/atomic_file.h"
#include "common/environment_variables.h"
#include "common/private_directory.h"
#include "server/attempt_network_host.h"

namespace gleaner {
namespace {

// Debian's bundle of the machine's trusted authorities (ca-certificates).
constexpr const char* kMachineBundle = "/etc/ssl/certs/ca-certificates.crt";

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  return text.str();
}

std::string EndingInNewline(std::string text) {
  if (!text.empty() && text.back() != '\n') text.push_back('\n');
  return text;
}

}  // namespace

const std::vector<std::string>& JobAwsEndpoints::ServedSuffixes() {
  static const std::vector<std::string> suffixes = {"amazonaws.com", "amazonaws.com.cn", "api.aws"};
  return suffixes;
}

Result<std::unique_ptr<JobAwsEndpoints>> JobAwsEndpoints::Open(
    const std::string& directory, const std::string& server_certificate_file) {
  GLEANER_RETURN_IF_ERROR(CreatePrivateDirectories(directory));
  std::unique_ptr<JobAwsEndpoints> endpoints(new JobAwsEndpoints());
  Result<std::unique_ptr<CertificateAuthority>> authority =
      CertificateAuthority::OpenOrCreate(directory);
  if (!authority.ok()) return authority.status();
  endpoints->authority_ = std::move(*authority);
  endpoints->authority_file_ = endpoints->authority_->certificate_file();
  // Remade at every start: the machine's authorities and gleaner's certificate may have changed.
  endpoints->bundle_file_ = directory + "/ca-bundle.pem";
  std::string bundle = EndingInNewline(endpoints->authority_->certificate_pem()) +
                       EndingInNewline(ReadText(kMachineBundle));
  if (!server_certificate_file.empty())
    bundle += EndingInNewline(ReadText(server_certificate_file));
  GLEANER_RETURN_IF_ERROR(
      WriteFileAtomically(endpoints->bundle_file_, bundle, /*durable=*/false, 0644));
  std::string machine_resolv_conf = ReadText("/etc/resolv.conf");
  endpoints->resolv_conf_ = directory + "/resolv.conf";
  GLEANER_RETURN_IF_ERROR(
      WriteFileAtomically(endpoints->resolv_conf_,
                          JobResolvConf(machine_resolv_conf, AttemptNetworkHost::kResolverAddress),
                          /*durable=*/false, 0644));
  DnsServerOptions resolver;
  resolver.served_suffixes = ServedSuffixes();
  in_addr address{};
  inet_pton(AF_INET, AttemptNetworkHost::kAwsEndpointsAddress, &address);
  std::memcpy(resolver.address.data(), &address, 4);
  resolver.upstream = NameserversOf(machine_resolv_conf);
  if (resolver.upstream.empty()) resolver.upstream = {"127.0.0.1"};  // as glibc without any
  Result<std::unique_ptr<DnsServer>> started = DnsServer::Start(resolver);
  if (!started.ok()) return started.status();
  endpoints->resolver_ = std::move(*started);
  return endpoints;
}

TlsIdentityFor JobAwsEndpoints::Certificates() const {
  const CertificateAuthority* authority = authority_.get();
  return [authority](const std::string& server_name) -> Result<TlsIdentity> {
    for (const std::string& suffix : ServedSuffixes()) {
      if (DnsNameIsUnder(server_name, suffix)) {
        return authority->IssueServerCertificate({server_name});
      }
    }
    return authority->IssueServerCertificate({"*.amazonaws.com", "amazonaws.com"});
  };
}

void JobAwsEndpoints::AddTrustEnvironment(std::vector<std::string>& environment) const {
  for (const char* name :
       {"AWS_CA_BUNDLE", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE"}) {
    AddVariableUnlessSet(environment, name, bundle_file_);
  }
  AddVariableUnlessSet(environment, "NODE_EXTRA_CA_CERTS", authority_file_);
}

}  // namespace gleaner
