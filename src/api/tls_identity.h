#pragma once

#include <string>

namespace gleaner {

// A PEM certificate chain and its private key: what a TLS listener answers with.
struct TlsIdentity {
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

}  // namespace gleaner
