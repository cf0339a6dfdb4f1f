#pragma once

// The digests S3 keeps for an object: MD5 for its ETag, and the additional checksums a client may
// ask for (x-amz-checksum-algorithm): CRC32, CRC32C, CRC64NVME, SHA1 and SHA256. Each digest has an
// incremental form, because an object arrives in chunks and is assembled from parts, and one-shot
// helpers. S3 carries a checksum as the base64 of its raw big-endian bytes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/base64.h"  // S3 carries checksums in base64

namespace gleaner {

namespace object_checksums_internal {
class EvpDigest;  // an OpenSSL message digest, kept out of this header
}  // namespace object_checksums_internal

// MD5 of `data` as 32 lower-case hex digits: a single-part object's ETag, without its quotes.
std::string Md5Hex(std::string_view data);

// MD5 over bytes given in pieces. Each Finish* gives the digest of everything given since
// construction (or since the previous Finish*) and starts over. A moved-from Md5 may only be
// assigned to or destroyed.
class Md5 {
 public:
  Md5();
  ~Md5();
  Md5(Md5&& other) noexcept;
  Md5& operator=(Md5&& other) noexcept;

  void Update(std::string_view data);
  std::string FinishRaw();  // 16 bytes
  std::string FinishHex();  // 32 lower-case hex digits

 private:
  std::unique_ptr<object_checksums_internal::EvpDigest> digest_;
};

enum class ChecksumAlgorithm { kCrc32, kCrc32c, kCrc64Nvme, kSha1, kSha256 };

// S3's name for an algorithm ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"), in any case;
// nullopt for anything else.
std::optional<ChecksumAlgorithm> ChecksumAlgorithmFromName(std::string_view name);
// "CRC32", "CRC32C", "CRC64NVME", "SHA1" or "SHA256".
std::string_view ChecksumName(ChecksumAlgorithm algorithm);
// The header carrying the base64 checksum: "x-amz-checksum-crc32", "x-amz-checksum-crc32c",
// "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1" or "x-amz-checksum-sha256".
std::string_view ChecksumHeaderName(ChecksumAlgorithm algorithm);

// One of S3's checksums over bytes given in pieces. The CRCs (reflected, register and final XOR all
// ones) are CRC-32/ISO-HDLC (zlib's), CRC-32C (Castagnoli) and CRC-64/NVME. FinishRaw gives the
// digest of everything given since construction (or since the previous FinishRaw) and starts
// over. A moved-from Checksum may only be assigned to or destroyed.
class Checksum {
 public:
  explicit Checksum(ChecksumAlgorithm algorithm);
  ~Checksum();
  Checksum(Checksum&& other) noexcept;
  Checksum& operator=(Checksum&& other) noexcept;

  ChecksumAlgorithm algorithm() const { return algorithm_; }
  void Update(std::string_view data);
  // Big-endian: 4 bytes for CRC32 and CRC32C, 8 for CRC64NVME, 20 for SHA1, 32 for SHA256.
  std::string FinishRaw();

 private:
  ChecksumAlgorithm algorithm_;
  uint64_t crc_ = 0;  // the CRCs' running register (CRC32 and CRC32C use the low 32 bits)
  std::unique_ptr<object_checksums_internal::EvpDigest> digest_;  // SHA1 and SHA256
};

// The checksum of `data` as S3 sends it: base64 of the raw digest (CRC32 of "Hello World" is
// "ShexVg==").
std::string ChecksumBase64(ChecksumAlgorithm algorithm, std::string_view data);

}  // namespace gleaner
