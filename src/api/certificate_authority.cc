#include "api/certificate_authority.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/atomic_file.h"
#include "common/private_directory.h"

namespace gleaner {
namespace {

struct FreeKey {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct FreeCertificate {
  void operator()(X509* certificate) const { X509_free(certificate); }
};
struct FreeBio {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using Key = std::unique_ptr<EVP_PKEY, FreeKey>;
using Certificate = std::unique_ptr<X509, FreeCertificate>;
using Bio = std::unique_ptr<BIO, FreeBio>;

constexpr long kDay = 24 * 3600;
constexpr long kAuthorityDays = 3650;
constexpr long kServerDays = 365;

std::string OpenSslError(const std::string& what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return what;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return what + ": " + text;
}

Key NewKey() { return Key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")); }

std::string MemoryText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<size_t>(size)) : std::string();
}

std::string CertificatePem(X509* certificate) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) return "";
  return MemoryText(bio.get());
}

std::string KeyPem(EVP_PKEY* key) {
  Bio bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return "";
  }
  return MemoryText(bio.get());
}

bool AddExtension(X509* certificate, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
  if (extension == nullptr) return false;
  bool added = X509_add_ext(certificate, extension, -1) == 1;
  X509_EXTENSION_free(extension);
  return added;
}

struct CertificateRequest {
  EVP_PKEY* subject_key;
  std::string common_name;
  X509* issuer;  // null: self-signed with subject_key
  EVP_PKEY* issuer_key;
  long days;
  std::vector<std::pair<int, std::string>> extensions;  // subject key identifier first
};

Result<Certificate> MakeCertificate(const CertificateRequest& request) {
  Certificate certificate(X509_new());
  unsigned char serial[16];
  if (!certificate || RAND_bytes(serial, sizeof serial) != 1) {
    return Status::Internal(OpenSslError("cannot make a certificate"));
  }
  serial[0] &= 0x7F;  // positive
  BIGNUM* number = BN_bin2bn(serial, sizeof serial, nullptr);
  bool made =
      number != nullptr && X509_set_version(certificate.get(), 2) == 1 &&
      BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate.get())) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -kDay) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(certificate.get()), request.days * kDay) != nullptr &&
      X509_set_pubkey(certificate.get(), request.subject_key) == 1;
  BN_free(number);
  X509_NAME* subject = X509_get_subject_name(certificate.get());
  auto name_entry = [subject](const char* field, const std::string& value) {
    return X509_NAME_add_entry_by_txt(subject, field, MBSTRING_UTF8,
                                      reinterpret_cast<const unsigned char*>(value.c_str()), -1, -1,
                                      0) == 1;
  };
  made = made && name_entry("O", "gleaner") && name_entry("CN", request.common_name);
  X509* issuer = request.issuer != nullptr ? request.issuer : certificate.get();
  made = made && X509_set_issuer_name(certificate.get(), X509_get_subject_name(issuer)) == 1;
  for (const auto& [nid, value] : request.extensions) {
    made = made && AddExtension(certificate.get(), issuer, nid, value);
  }
  made = made && X509_sign(certificate.get(), request.issuer_key, EVP_sha256()) > 0;
  if (!made) return Status::Internal(OpenSslError("cannot make a certificate"));
  return certificate;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

bool IsCertificateName(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  for (char c : name) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '.' || c == '-' || c == '*';
    if (!allowed) return false;
  }
  return name.find('*') == std::string::npos || (name.starts_with("*.") && name.rfind('*') == 0);
}

}  // namespace

struct CertificateAuthority::Keys {
  Key authority_key;
  Certificate authority;
  Key server_key;  // shared by the certificates this object issues
};

CertificateAuthority::CertificateAuthority(std::unique_ptr<Keys> keys, std::string certificate_pem,
                                           std::string certificate_file)
    : keys_(std::move(keys)),
      certificate_pem_(std::move(certificate_pem)),
      certificate_file_(std::move(certificate_file)) {}

CertificateAuthority::~CertificateAuthority() = default;

Result<std::unique_ptr<CertificateAuthority>> CertificateAuthority::OpenOrCreate(
    const std::string& directory) {
  GLEANER_RETURN_IF_ERROR(CreatePrivateDirectories(directory));
  std::string certificate_file = directory + "/ca.pem";
  std::string key_file = directory + "/ca-key.pem";
  auto keys = std::make_unique<Keys>();
  std::optional<std::string> certificate_text = ReadFile(certificate_file);
  std::optional<std::string> key_text = ReadFile(key_file);
  if (certificate_text.has_value() != key_text.has_value()) {
    return Status::FailedPrecondition(
        (certificate_text ? key_file : certificate_file) + " is missing while " +
        (certificate_text ? certificate_file : key_file) +
        " is there: restore it, or remove both to make a new authority (jobs must then trust "
        "the new one)");
  }
  if (certificate_text) {
    Bio certificate_bio(
        BIO_new_mem_buf(certificate_text->data(), static_cast<int>(certificate_text->size())));
    Bio key_bio(BIO_new_mem_buf(key_text->data(), static_cast<int>(key_text->size())));
    keys->authority.reset(PEM_read_bio_X509(certificate_bio.get(), nullptr, nullptr, nullptr));
    keys->authority_key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (!keys->authority || !keys->authority_key ||
        X509_check_private_key(keys->authority.get(), keys->authority_key.get()) != 1) {
      return Status::FailedPrecondition(OpenSslError(certificate_file + " and " + key_file +
                                                     " are not a certificate and its key"));
    }
  } else {
    keys->authority_key = NewKey();
    if (!keys->authority_key) return Status::Internal(OpenSslError("cannot make a key"));
    Result<Certificate> made = MakeCertificate(
        CertificateRequest{.subject_key = keys->authority_key.get(),
                           .common_name = "gleaner job endpoints CA",
                           .issuer = nullptr,
                           .issuer_key = keys->authority_key.get(),
                           .days = kAuthorityDays,
                           .extensions = {{NID_subject_key_identifier, "hash"},
                                          {NID_authority_key_identifier, "keyid:always"},
                                          {NID_basic_constraints, "critical,CA:TRUE,pathlen:0"},
                                          {NID_key_usage, "critical,keyCertSign,cRLSign"}}});
    if (!made.ok()) return made.status();
    keys->authority = std::move(*made);
    GLEANER_RETURN_IF_ERROR(
        WriteFileAtomically(key_file, KeyPem(keys->authority_key.get()), true, 0600));
    certificate_text = CertificatePem(keys->authority.get());
    GLEANER_RETURN_IF_ERROR(WriteFileAtomically(certificate_file, *certificate_text, true, 0644));
  }
  keys->server_key = NewKey();
  if (!keys->server_key) return Status::Internal(OpenSslError("cannot make a key"));
  std::string certificate_pem = CertificatePem(keys->authority.get());
  return std::unique_ptr<CertificateAuthority>(
      new CertificateAuthority(std::move(keys), std::move(certificate_pem), certificate_file));
}

Result<TlsIdentity> CertificateAuthority::IssueServerCertificate(
    const std::vector<std::string>& dns_names) const {
  if (dns_names.empty()) return Status::InvalidArgument("a certificate needs a name");
  std::string alternative_names;
  for (const std::string& name : dns_names) {
    if (!IsCertificateName(name)) {
      return Status::InvalidArgument("not a DNS name for a certificate: " + name);
    }
    alternative_names += (alternative_names.empty() ? "DNS:" : ",DNS:") + name;
  }
  Result<Certificate> made = MakeCertificate(
      CertificateRequest{.subject_key = keys_->server_key.get(),
                         .common_name = dns_names.front(),
                         .issuer = keys_->authority.get(),
                         .issuer_key = keys_->authority_key.get(),
                         .days = kServerDays,
                         .extensions = {{NID_subject_key_identifier, "hash"},
                                        {NID_authority_key_identifier, "keyid:always"},
                                        {NID_basic_constraints, "critical,CA:FALSE"},
                                        {NID_key_usage, "critical,digitalSignature"},
                                        {NID_ext_key_usage, "serverAuth"},
                                        {NID_subject_alt_name, alternative_names}}});
  if (!made.ok()) return made.status();
  return TlsIdentity{CertificatePem(made->get()) + certificate_pem_,
                     KeyPem(keys_->server_key.get())};
}

}  // namespace gleaner
