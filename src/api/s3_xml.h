#pragma once

// A small XML reader for the request bodies S3 clients send (CompleteMultipartUpload,
// DeleteObjects, CreateBucketConfiguration, ...). Documents are UTF-8 and self-contained: no DTD,
// so no entities beyond the five predefined ones and character references, and nothing is ever
// fetched. Namespaces are not resolved: names keep only their local part. Responses are written
// with XmlEscape from common/markup_escape.h.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace gleaner {

struct XmlElement {
  std::string name;  // the local name: "Part" for both <Part> and <s3:Part>
  // The element's own character data (not its children's), in document order: entities and
  // character references decoded, CDATA sections included, whitespace kept (line breaks
  // normalized to "\n" as XML requires, so "\r\n" arrives as "\n"; "&#13;" stays "\r").
  std::string text;
  std::vector<XmlElement> children;

  // The first child with this local name, nullptr if there is none.
  const XmlElement* Child(std::string_view child_name) const;
  // Every child with this local name, in document order.
  std::vector<const XmlElement*> ChildrenNamed(std::string_view child_name) const;
};

inline constexpr size_t kMaxXmlDocumentBytes = size_t{1} << 20;  // 1 MiB
inline constexpr size_t kMaxXmlDepth = 32;                       // the root is depth 1

// The root element of `document`. Accepts an XML declaration (UTF-8 only), comments, processing
// instructions, attributes (checked, then ignored: xmlns and the like), self-closing elements, the
// predefined entities, character references and CDATA sections. Anything else -- a DTD, ill-formed
// UTF-8 or characters XML does not allow, mismatched or unclosed tags, content after the root
// element, nesting deeper than kMaxXmlDepth, a document over kMaxXmlDocumentBytes, an empty one --
// is Status::InvalidArgument saying what is wrong and at which byte offset. Never throws (short
// of running out of memory) and never reads outside `document`.
Result<XmlElement> ParseXml(std::string_view document);

}  // namespace gleaner
