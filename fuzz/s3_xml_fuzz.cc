// ParseXml (src/api/s3_xml.h): the request bodies S3 clients send. Input: the document.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/s3_xml.h"
#include "fuzz/api_world.h"

namespace {

size_t DepthOf(const gleaner::XmlElement& element) {
  size_t deepest = 0;
  for (const gleaner::XmlElement& child : element.children) {
    deepest = std::max(deepest, DepthOf(child));
  }
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view document(reinterpret_cast<const char*>(data), size);
  gleaner::Result<gleaner::XmlElement> parsed = gleaner::ParseXml(document);
  if (parsed.ok() && DepthOf(*parsed) > gleaner::kMaxXmlDepth) {
    gleaner::fuzz::Finding("accepted a document " + std::to_string(DepthOf(*parsed)) +
                           " elements deep");
  }
  if (!parsed.ok() && parsed.status().message().empty()) {
    gleaner::fuzz::Finding("refused a document without saying why");
  }
  return 0;
}
