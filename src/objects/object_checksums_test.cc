#include "objects/object_checksums.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gleaner {
namespace {

// The CRCs straight from their definition, one bit at a time: the register starts all ones, each
// input byte is XORed into its low end, each bit shifted out (reflected) XORs in the polynomial,
// and the result is XORed with all ones. Independent of the tables and of slicing.
uint64_t BitwiseCrc(std::string_view data, int width, uint64_t reflected_polynomial) {
  uint64_t mask = width == 64 ? ~0ull : (1ull << width) - 1;
  uint64_t crc = mask;
  for (char c : data) {
    crc ^= static_cast<unsigned char>(c);
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1) != 0 ? (crc >> 1) ^ reflected_polynomial : crc >> 1;
  }
  return crc ^ mask;
}

std::string BigEndian(uint64_t value, int bytes) {
  std::string out;
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  return out;
}

std::string Raw(ChecksumAlgorithm algorithm, std::string_view data) {
  Checksum checksum(algorithm);
  checksum.Update(data);
  return checksum.FinishRaw();
}

std::string HexOf(std::string_view raw) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (char c : raw) {
    hex += kDigits[static_cast<unsigned char>(c) >> 4];
    hex += kDigits[static_cast<unsigned char>(c) & 0xF];
  }
  return hex;
}

// Deterministic bytes covering every value, so tables are exercised beyond ASCII.
std::string TestBytes(size_t length) {
  std::string bytes;
  uint32_t state = 12345;
  for (size_t i = 0; i < length; ++i) {
    state = state * 1103515245u + 12345u;
    bytes += static_cast<char>(state >> 24);
  }
  return bytes;
}

struct CrcDefinition {
  ChecksumAlgorithm algorithm;
  int width;
  uint64_t reflected_polynomial;
  uint64_t check;  // of "123456789", from the CRC catalogue
};

constexpr CrcDefinition kCrcs[] = {
    {ChecksumAlgorithm::kCrc32, 32, 0xEDB88320u, 0xCBF43926u},
    {ChecksumAlgorithm::kCrc32c, 32, 0x82F63B78u, 0xE3069283u},
    {ChecksumAlgorithm::kCrc64Nvme, 64, 0x9A6C9329AC4BC9B5ull, 0xAE8B14860A799888ull},
};

TEST(ChecksumTest, CrcsGiveTheirCheckValuesBigEndian) {
  for (const CrcDefinition& crc : kCrcs) {
    SCOPED_TRACE(std::string(ChecksumName(crc.algorithm)));
    // The reference agrees with the catalogue, so it can stand in for the definition below.
    EXPECT_EQ(BitwiseCrc("123456789", crc.width, crc.reflected_polynomial), crc.check);
    EXPECT_EQ(Raw(crc.algorithm, "123456789"), BigEndian(crc.check, crc.width / 8));
  }
  EXPECT_EQ(Raw(ChecksumAlgorithm::kCrc32, "123456789"), std::string("\xCB\xF4\x39\x26", 4));
  EXPECT_EQ(Raw(ChecksumAlgorithm::kCrc64Nvme, "123456789"),
            std::string("\xAE\x8B\x14\x86\x0A\x79\x98\x88", 8));
}

TEST(ChecksumTest, CrcsOfNothingAreZero) {
  EXPECT_EQ(Raw(ChecksumAlgorithm::kCrc32, ""), std::string(4, '\0'));
  EXPECT_EQ(Raw(ChecksumAlgorithm::kCrc32c, ""), std::string(4, '\0'));
  EXPECT_EQ(Raw(ChecksumAlgorithm::kCrc64Nvme, ""), std::string(8, '\0'));
}

TEST(ChecksumTest, CrcsAgreeWithTheBitwiseDefinitionAtEveryLength) {
  std::string bytes = TestBytes(1000);
  for (const CrcDefinition& crc : kCrcs) {
    SCOPED_TRACE(std::string(ChecksumName(crc.algorithm)));
    for (size_t length :
         {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 999, 1000}) {
      // Starting at an odd offset too, so the eight-byte steps do not line up with memory.
      for (size_t offset : {0, 1}) {
        if (offset + length > bytes.size()) continue;
        std::string_view data = std::string_view(bytes).substr(offset, length);
        EXPECT_EQ(Raw(crc.algorithm, data),
                  BigEndian(BitwiseCrc(data, crc.width, crc.reflected_polynomial), crc.width / 8))
            << "length " << length << " offset " << offset;
      }
    }
  }
}

TEST(ChecksumTest, ShaDigestsMatchKnownVectors) {
  EXPECT_EQ(HexOf(Raw(ChecksumAlgorithm::kSha1, "")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(HexOf(Raw(ChecksumAlgorithm::kSha1, "abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(HexOf(Raw(ChecksumAlgorithm::kSha1,
                      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(HexOf(Raw(ChecksumAlgorithm::kSha256, "")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexOf(Raw(ChecksumAlgorithm::kSha256, "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(HexOf(Raw(ChecksumAlgorithm::kSha256,
                      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(ChecksumTest, Base64FormIsWhatS3Sends) {
  // CRC32("Hello World") = 0x4A17B156 (the bitwise definition above; zlib agrees).
  EXPECT_EQ(BitwiseCrc("Hello World", 32, 0xEDB88320u), 0x4A17B156u);
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32, "Hello World"), "ShexVg==");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32, "123456789"), "y/Q5Jg==");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc32c, "123456789"), "4waSgw==");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc64Nvme, "123456789"), "rosUhgp5mIg=");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kCrc64Nvme, ""), "AAAAAAAAAAA=");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kSha1, ""), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  EXPECT_EQ(ChecksumBase64(ChecksumAlgorithm::kSha256, ""),
            "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
}

TEST(ChecksumTest, UpdatesInPiecesEqualOneShot) {
  std::string bytes = TestBytes(777);
  for (ChecksumAlgorithm algorithm :
       {ChecksumAlgorithm::kCrc32, ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kCrc64Nvme,
        ChecksumAlgorithm::kSha1, ChecksumAlgorithm::kSha256}) {
    SCOPED_TRACE(std::string(ChecksumName(algorithm)));
    std::string whole = Raw(algorithm, bytes);
    for (size_t piece : {1, 3, 7, 8, 9, 64, 100, 500}) {
      Checksum checksum(algorithm);
      for (size_t at = 0; at < bytes.size(); at += piece) {
        checksum.Update(std::string_view(bytes).substr(at, piece));
      }
      checksum.Update("");
      EXPECT_EQ(checksum.FinishRaw(), whole) << "pieces of " << piece;
    }
  }
}

TEST(ChecksumTest, FinishStartsOver) {
  for (ChecksumAlgorithm algorithm : {ChecksumAlgorithm::kCrc32c, ChecksumAlgorithm::kSha256}) {
    Checksum checksum(algorithm);
    checksum.Update("first object");
    EXPECT_EQ(checksum.FinishRaw(), Raw(algorithm, "first object"));
    checksum.Update("abc");
    EXPECT_EQ(checksum.FinishRaw(), Raw(algorithm, "abc"));
    EXPECT_EQ(checksum.FinishRaw(), Raw(algorithm, ""));
  }
}

TEST(ChecksumTest, SurvivesAMove) {
  Checksum checksum(ChecksumAlgorithm::kSha1);
  checksum.Update("a");
  Checksum moved = std::move(checksum);
  moved.Update("bc");
  EXPECT_EQ(moved.algorithm(), ChecksumAlgorithm::kSha1);
  EXPECT_EQ(HexOf(moved.FinishRaw()), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST(Md5Test, MatchesKnownVectors) {
  EXPECT_EQ(Md5Hex(""), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(Md5Hex("abc"), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(Md5Hex("123456789"), "25f9e794323b453885f5181f1b624d0b");
}

TEST(Md5Test, UpdatesInPiecesEqualOneShot) {
  std::string bytes = TestBytes(300);
  Md5 md5;
  for (size_t at = 0; at < bytes.size(); at += 7) md5.Update(std::string_view(bytes).substr(at, 7));
  EXPECT_EQ(md5.FinishHex(), Md5Hex(bytes));

  md5.Update("a");
  md5.Update("");
  md5.Update("bc");
  std::string raw = md5.FinishRaw();
  EXPECT_EQ(raw.size(), 16u);
  EXPECT_EQ(HexOf(raw), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5.FinishHex(), "d41d8cd98f00b204e9800998ecf8427e");  // started over

  Md5 moved = std::move(md5);
  moved.Update("abc");
  EXPECT_EQ(moved.FinishHex(), "900150983cd24fb0d6963f7d28e17f72");
}

TEST(ChecksumNamesTest, NamesAndHeaders) {
  EXPECT_EQ(ChecksumAlgorithmFromName("CRC32"), ChecksumAlgorithm::kCrc32);
  EXPECT_EQ(ChecksumAlgorithmFromName("crc32c"), ChecksumAlgorithm::kCrc32c);
  EXPECT_EQ(ChecksumAlgorithmFromName("Crc64Nvme"), ChecksumAlgorithm::kCrc64Nvme);
  EXPECT_EQ(ChecksumAlgorithmFromName("sha1"), ChecksumAlgorithm::kSha1);
  EXPECT_EQ(ChecksumAlgorithmFromName("SHA256"), ChecksumAlgorithm::kSha256);
  for (std::string_view unknown : {"", "CRC64", "SHA-256", "crc32 ", "MD5", "SHA2561"}) {
    EXPECT_EQ(ChecksumAlgorithmFromName(unknown), std::nullopt) << unknown;
  }

  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kCrc32), "CRC32");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kCrc32c), "CRC32C");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kCrc64Nvme), "CRC64NVME");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kSha1), "SHA1");
  EXPECT_EQ(ChecksumName(ChecksumAlgorithm::kSha256), "SHA256");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc32), "x-amz-checksum-crc32");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc32c), "x-amz-checksum-crc32c");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kCrc64Nvme), "x-amz-checksum-crc64nvme");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kSha1), "x-amz-checksum-sha1");
  EXPECT_EQ(ChecksumHeaderName(ChecksumAlgorithm::kSha256), "x-amz-checksum-sha256");
}

TEST(Base64Test, EncodesAndDecodesTheRfcVectors) {
  const std::pair<std::string_view, std::string_view> kVectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    EXPECT_EQ(Base64Decode(encoded), std::string(plain)) << encoded;
  }
}

TEST(Base64Test, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t length = 0; length <= all.size(); ++length) {
    std::string_view bytes = std::string_view(all).substr(all.size() - length);
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), std::string(bytes));
  }
  EXPECT_EQ(Base64Encode(std::string("\xFB\xFF", 2)), "+/8=");
}

TEST(Base64Test, DecodeRejectsWhatEncodeNeverMakes) {
  for (std::string_view bad : {
           "Zg",   // missing padding
           "Zg=",  // length not a multiple of 4
           "Zm9vY",
           "Zg==Zg==",  // padding before the end
           "Zm=v",      // '=' then data
           "Z===",      // three '='
           "====",
           "Zh==",  // unused bits set
           "Zm9=",
           "Zm9v!A==",   // not in the alphabet
           "Zm9v YQ==",  // whitespace
           "Zm9-",       // URL-safe alphabet
           "Zm9_",
       }) {
    EXPECT_EQ(Base64Decode(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(Base64Decode(std::string("Zm\0v", 4)), std::nullopt);
  EXPECT_EQ(Base64Decode("Zm9\xC3\xA9"), std::nullopt);
}

}  // namespace
}  // namespace gleaner
