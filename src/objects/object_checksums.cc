#include "objects/object_checksums.h"

#include <openssl/evp.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "common/ascii.h"

namespace gleaner {
namespace object_checksums_internal {
namespace {

// OpenSSL failing to allocate a digest context, or refusing MD5 (a FIPS-only build), leaves the
// object service unable to work at all: an invariant violation, so crash loudly.
[[noreturn]] void Fatal(const char* what) {
  std::fprintf(stderr, "gleaner: object checksums: %s\n", what);
  std::abort();
}

}  // namespace

class EvpDigest {
 public:
  explicit EvpDigest(const EVP_MD* type) : type_(type), context_(EVP_MD_CTX_new()) {
    if (context_ == nullptr) Fatal("EVP_MD_CTX_new failed");
    Start();
  }
  ~EvpDigest() { EVP_MD_CTX_free(context_); }
  EvpDigest(const EvpDigest&) = delete;
  EvpDigest& operator=(const EvpDigest&) = delete;

  void Update(std::string_view data) {
    if (data.empty()) return;
    if (EVP_DigestUpdate(context_, data.data(), data.size()) != 1) Fatal("EVP_DigestUpdate failed");
  }

  std::string Finish() {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_, digest.data(), &length) != 1) {
      Fatal("EVP_DigestFinal_ex failed");
    }
    Start();
    return std::string(reinterpret_cast<const char*>(digest.data()), length);
  }

 private:
  void Start() {
    if (EVP_DigestInit_ex(context_, type_, nullptr) != 1) {
      Fatal("EVP_DigestInit_ex failed (is the digest disabled in this OpenSSL?)");
    }
  }

  const EVP_MD* type_;
  EVP_MD_CTX* context_;
};

}  // namespace object_checksums_internal

namespace {

using object_checksums_internal::EvpDigest;

std::string Hex(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(raw.size() * 2);
  for (char c : raw) {
    auto byte = static_cast<unsigned char>(c);
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0xF];
  }
  return hex;
}

// ---- CRCs: reflected, table-driven, eight bytes a step (slice-by-8) ----

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the register contribution of
// byte b followed by k zero bytes, so eight bytes fold in with eight independent lookups.
template <typename Register>
using CrcTables = std::array<std::array<Register, 256>, 8>;

template <typename Register>
constexpr CrcTables<Register> MakeCrcTables(Register reflected_polynomial) {
  CrcTables<Register> tables{};
  for (unsigned byte = 0; byte < 256; ++byte) {
    Register crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) != 0 ? (crc >> 1) ^ reflected_polynomial : crc >> 1;
    }
    tables[0][byte] = crc;
  }
  for (size_t slice = 1; slice < tables.size(); ++slice) {
    for (unsigned byte = 0; byte < 256; ++byte) {
      Register previous = tables[slice - 1][byte];
      tables[slice][byte] = (previous >> 8) ^ tables[0][previous & 0xFF];
    }
  }
  return tables;
}

// Computed by the compiler: constant data, nothing runs at startup.
constexpr CrcTables<uint32_t> kCrc32Tables = MakeCrcTables<uint32_t>(0xEDB88320u);
constexpr CrcTables<uint32_t> kCrc32cTables = MakeCrcTables<uint32_t>(0x82F63B78u);
constexpr CrcTables<uint64_t> kCrc64NvmeTables = MakeCrcTables<uint64_t>(0x9A6C9329AC4BC9B5ull);

// Folds `data` into the register `crc` (before the final XOR).
template <typename Register>
Register CrcUpdate(const CrcTables<Register>& tables, Register crc, std::string_view data) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  size_t remaining = data.size();
  while (remaining >= 8) {
    // The register's low bytes meet the next bytes of input (a 32-bit register only the first
    // four); each byte then sits 7 - j bytes from the end of the step.
    uint64_t wide = crc;
    Register next = 0;
    for (size_t j = 0; j < 8; ++j) {
      unsigned index = bytes[j] ^ static_cast<unsigned>((wide >> (8 * j)) & 0xFF);
      next ^= tables[7 - j][index];
    }
    crc = next;
    bytes += 8;
    remaining -= 8;
  }
  for (; remaining > 0; --remaining, ++bytes) {
    crc = tables[0][(crc ^ *bytes) & 0xFF] ^ (crc >> 8);
  }
  return crc;
}

constexpr uint64_t kCrc32AllOnes = 0xFFFFFFFFull;
constexpr uint64_t kCrc64AllOnes = ~0ull;

bool IsCrc(ChecksumAlgorithm algorithm) {
  return algorithm == ChecksumAlgorithm::kCrc32 || algorithm == ChecksumAlgorithm::kCrc32c ||
         algorithm == ChecksumAlgorithm::kCrc64Nvme;
}

uint64_t CrcInitial(ChecksumAlgorithm algorithm) {
  return algorithm == ChecksumAlgorithm::kCrc64Nvme ? kCrc64AllOnes : kCrc32AllOnes;
}

std::string BigEndian(uint64_t value, int bytes) {
  std::string out(static_cast<size_t>(bytes), '\0');
  for (int i = bytes - 1; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(value & 0xFF);
    value >>= 8;
  }
  return out;
}

std::unique_ptr<EvpDigest> DigestFor(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kSha1:
      return std::make_unique<EvpDigest>(EVP_sha1());
    case ChecksumAlgorithm::kSha256:
      return std::make_unique<EvpDigest>(EVP_sha256());
    case ChecksumAlgorithm::kCrc32:
    case ChecksumAlgorithm::kCrc32c:
    case ChecksumAlgorithm::kCrc64Nvme:
      break;
  }
  return nullptr;
}

constexpr ChecksumAlgorithm kAllAlgorithms[] = {
    ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
    ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256};

}  // namespace

// ---- MD5 ----

std::string Md5Hex(std::string_view data) {
  Md5 md5;
  md5.Update(data);
  return md5.FinishHex();
}

Md5::Md5() : digest_(std::make_unique<EvpDigest>(EVP_md5())) {}
Md5::~Md5() = default;
Md5::Md5(Md5&& other) noexcept = default;
Md5& Md5::operator=(Md5&& other) noexcept = default;

void Md5::Update(std::string_view data) { digest_->Update(data); }
std::string Md5::FinishRaw() { return digest_->Finish(); }
std::string Md5::FinishHex() { return Hex(digest_->Finish()); }

// ---- Names ----

std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromName(std::string_view name) {
  for (ChecksumAlgorithm algorithm : kAllAlgorithms) {
    if (EqualsIgnoringAsciiCase(name, ChecksumName(algorithm))) return algorithm;
  }
  return std::nullopt;
}

std::string_view ChecksumName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return "CRC32";
    case ChecksumAlgorithm::kCrc32c:
      return "CRC32C";
    case ChecksumAlgorithm::kCrc64Nvme:
      return "CRC64NVME";
    case ChecksumAlgorithm::kSha1:
      return "SHA1";
    case ChecksumAlgorithm::kSha256:
      return "SHA256";
  }
  return "";
}

std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm) {
  switch (algorithm) {
    case ChecksumAlgorithm::kCrc32:
      return "x-amz-checksum-crc32";
    case ChecksumAlgorithm::kCrc32c:
      return "x-amz-checksum-crc32c";
    case ChecksumAlgorithm::kCrc64Nvme:
      return "x-amz-checksum-crc64nvme";
    case ChecksumAlgorithm::kSha1:
      return "x-amz-checksum-sha1";
    case ChecksumAlgorithm::kSha256:
      return "x-amz-checksum-sha256";
  }
  return "";
}

// ---- Checksum ----

Checksum::Checksum(ChecksumAlgorithm algorithm)
    : algorithm_(algorithm), crc_(CrcInitial(algorithm)), digest_(DigestFor(algorithm)) {}
Checksum::~Checksum() = default;
Checksum::Checksum(Checksum&& other) noexcept = default;
Checksum& Checksum::operator=(Checksum&& other) noexcept = default;

void Checksum::Update(std::string_view data) {
  switch (algorithm_) {
    case ChecksumAlgorithm::kCrc32:
      crc_ = CrcUpdate(kCrc32Tables, static_cast<uint32_t>(crc_), data);
      return;
    case ChecksumAlgorithm::kCrc32c:
      crc_ = CrcUpdate(kCrc32cTables, static_cast<uint32_t>(crc_), data);
      return;
    case ChecksumAlgorithm::kCrc64Nvme:
      crc_ = CrcUpdate(kCrc64NvmeTables, crc_, data);
      return;
    case ChecksumAlgorithm::kSha1:
    case ChecksumAlgorithm::kSha256:
      digest_->Update(data);
      return;
  }
}

std::string Checksum::FinishRaw() {
  if (!IsCrc(algorithm_)) return digest_->Finish();
  uint64_t all_ones = CrcInitial(algorithm_);
  uint64_t value = crc_ ^ all_ones;
  crc_ = all_ones;
  return BigEndian(value, algorithm_ == ChecksumAlgorithm::kCrc64Nvme ? 8 : 4);
}

std::string ChecksumBase64(ChecksumAlgorithm algorithm, std::string_view data) {
  Checksum checksum(algorithm);
  checksum.Update(data);
  return Base64Encode(checksum.FinishRaw());
}

}  // namespace gleaner
