#include "api/s3_xml.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gleaner {
namespace {

XmlElement Parsed(std::string_view document) {
  Result<XmlElement> root = ParseXml(document);
  EXPECT_TRUE(root.ok()) << root.status().message();
  return root.ok() ? std::move(root).value() : XmlElement{};
}

// The message of the refusal, or "accepted".
std::string Refusal(std::string_view document) {
  Result<XmlElement> root = ParseXml(document);
  if (root.ok()) return "accepted";
  EXPECT_EQ(root.status().code(), StatusCode::kInvalidArgument);
  return root.status().message();
}

std::string TextOf(const XmlElement* element) {
  return element == nullptr ? "<none>" : element->text;
}

TEST(S3XmlTest, ReadsCompleteMultipartUploadAsBotocoreSendsIt) {
  XmlElement root = Parsed(
      "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Part><ETag>\"etag1\"</ETag><PartNumber>1</PartNumber></Part>"
      "<Part><ETag>&quot;etag2&quot;</ETag><PartNumber>2</PartNumber>"
      "<ChecksumCRC32>ShexVg==</ChecksumCRC32></Part>"
      "</CompleteMultipartUpload>");
  EXPECT_EQ(root.name, "CompleteMultipartUpload");
  EXPECT_EQ(root.text, "");
  std::vector<const XmlElement*> parts = root.ChildrenNamed("Part");
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(TextOf(parts[0]->Child("ETag")), "\"etag1\"");
  EXPECT_EQ(TextOf(parts[0]->Child("PartNumber")), "1");
  EXPECT_EQ(parts[0]->Child("ChecksumCRC32"), nullptr);
  EXPECT_EQ(TextOf(parts[1]->Child("ETag")), "\"etag2\"");
  EXPECT_EQ(TextOf(parts[1]->Child("PartNumber")), "2");
  EXPECT_EQ(TextOf(parts[1]->Child("ChecksumCRC32")), "ShexVg==");
  EXPECT_EQ(root.Child("Part"), parts[0]);
  EXPECT_TRUE(root.ChildrenNamed("Missing").empty());
}

TEST(S3XmlTest, ReadsDeleteObjectsWithEscapedKeys) {
  XmlElement root = Parsed(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<Delete xmlns='http://s3.amazonaws.com/doc/2006-03-01/'>\n"
      "  <Quiet>true</Quiet>\n"
      "  <Object><Key>a&amp;b</Key></Object>\n"
      "  <Object>\n"
      "    <Key>&#x4E2D;&#25991;/&lt;&gt;&apos;</Key>\n"
      "    <VersionId>null</VersionId>\n"
      "  </Object>\n"
      "</Delete>\n");
  EXPECT_EQ(root.name, "Delete");
  EXPECT_EQ(TextOf(root.Child("Quiet")), "true");
  std::vector<const XmlElement*> objects = root.ChildrenNamed("Object");
  ASSERT_EQ(objects.size(), 2u);
  EXPECT_EQ(TextOf(objects[0]->Child("Key")), "a&b");
  EXPECT_EQ(TextOf(objects[1]->Child("Key")), "\xE4\xB8\xAD\xE6\x96\x87/<>'");  // 中文/<>'
  EXPECT_EQ(TextOf(objects[1]->Child("VersionId")), "null");
  // Whitespace between elements is the parent's own text, kept as it was.
  EXPECT_EQ(objects[1]->text, "\n    \n    \n  ");
  EXPECT_EQ(root.text, "\n  \n  \n  \n");
}

TEST(S3XmlTest, ReadsCreateBucketConfigurationWithPrefixesCommentsAndCdata) {
  XmlElement root = Parsed(
      "\xEF\xBB\xBF<?xml version='1.0'?><!-- made by hand -->"
      "<s3:CreateBucketConfiguration xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<s3:LocationConstraint >eu-<!-- mid -->west-1</s3:LocationConstraint >"
      "<Note><![CDATA[<not> &markup;]]> and &lt;</Note><Empty/><Empty2 a=\"1\" b='&amp;' />"
      "<?app instruction?></s3:CreateBucketConfiguration><!-- after -->  ");
  EXPECT_EQ(root.name, "CreateBucketConfiguration");
  EXPECT_EQ(TextOf(root.Child("LocationConstraint")), "eu-west-1");
  EXPECT_EQ(TextOf(root.Child("Note")), "<not> &markup; and <");
  ASSERT_NE(root.Child("Empty"), nullptr);
  EXPECT_EQ(root.Child("Empty")->text, "");
  EXPECT_TRUE(root.Child("Empty")->children.empty());
  EXPECT_NE(root.Child("Empty2"), nullptr);
  ASSERT_EQ(root.children.size(), 4u);
}

TEST(S3XmlTest, DecodesCharacterReferencesToUtf8) {
  XmlElement root = Parsed("<K>&#65;&#x41;&#0065;&#xe9;&#x20AC;&#x1F600;&#x10FFFF;&#9;&#13;</K>");
  EXPECT_EQ(root.text, "AAA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\t\r");
  EXPECT_EQ(Parsed("<K>caf\xC3\xA9</K>").text, "caf\xC3\xA9");
}

TEST(S3XmlTest, NormalizesLineBreaksAsXmlRequires) {
  EXPECT_EQ(Parsed("<K>a\r\nb\rc\n</K>").text, "a\nb\nc\n");
  EXPECT_EQ(Parsed("<K><![CDATA[a\r\nb]]></K>").text, "a\nb");
}

TEST(S3XmlTest, AcceptsNestingUpToTheLimit) {
  std::string document;
  for (size_t i = 0; i < kMaxXmlDepth; ++i) document += "<a>";
  document += "deep";
  for (size_t i = 0; i < kMaxXmlDepth; ++i) document += "</a>";
  const XmlElement* element = nullptr;
  XmlElement root = Parsed(document);
  element = &root;
  for (size_t depth = 1; depth < kMaxXmlDepth; ++depth) {
    ASSERT_NE(element, nullptr);
    element = element->Child("a");
  }
  EXPECT_EQ(TextOf(element), "deep");
}

TEST(S3XmlTest, RefusesDtds) {
  EXPECT_EQ(
      Refusal("<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
              "<d>&e;</d>"),
      "invalid XML at byte 21: DTDs (<!DOCTYPE ...>) are not allowed");
  EXPECT_EQ(Refusal("<d><!DOCTYPE d></d>"),
            "invalid XML at byte 3: DTDs (<!DOCTYPE ...>) are not allowed");
  EXPECT_EQ(Refusal("<d>&e;</d>"),
            "invalid XML at byte 3: unknown entity &e; (only &amp; &lt; &gt; &quot; &apos; and "
            "character references)");
}

TEST(S3XmlTest, RefusesMismatchedAndUnclosedTags) {
  EXPECT_EQ(Refusal("<a><b></a></b>"),
            "invalid XML at byte 6: end tag </a> does not match <b> opened at byte 3");
  EXPECT_EQ(Refusal("<s3:a></a>"),
            "invalid XML at byte 6: end tag </a> does not match <s3:a> opened at byte 0");
  EXPECT_EQ(Refusal("<a><b></b>"), "invalid XML at byte 0: element <a> is not closed");
  EXPECT_EQ(Refusal("<a><b>text"), "invalid XML at byte 3: element <b> is not closed");
  EXPECT_EQ(Refusal("</a>"), "invalid XML at byte 0: an end tag with no element open");
  EXPECT_EQ(Refusal("<a"), "invalid XML at byte 0: unterminated start tag");
  EXPECT_EQ(Refusal("<a></a"), "invalid XML at byte 6: expected '>' to end </a>");
  EXPECT_EQ(Refusal("<a b=\"1></a>"), "invalid XML at byte 8: '<' in an attribute value");
  EXPECT_EQ(Refusal("<a b=\"1"), "invalid XML at byte 3: unterminated value of attribute b");
  EXPECT_EQ(Refusal("<a b=1></a>"),
            "invalid XML at byte 5: expected a quoted value for attribute b");
  EXPECT_EQ(Refusal("<a b></a>"), "invalid XML at byte 4: expected '=' after attribute b");
  EXPECT_EQ(Refusal("<a b='1'c='2'></a>"),
            "invalid XML at byte 8: expected whitespace or the end of the tag");
  EXPECT_EQ(Refusal("<1a></1a>"), "invalid XML at byte 1: expected a name");
  EXPECT_EQ(Refusal("<a:></a:>"), "invalid XML at byte 0: element name 'a:' has no local part");
}

TEST(S3XmlTest, RefusesContentOutsideTheRoot) {
  EXPECT_EQ(Refusal("<a/>b"), "invalid XML at byte 4: text after the root element");
  EXPECT_EQ(Refusal("<a></a><b></b>"),
            "invalid XML at byte 7: a second element after the root element");
  EXPECT_EQ(Refusal("x<a/>"), "invalid XML at byte 0: text before the root element");
  EXPECT_EQ(Refusal("<a/>&amp;"), "invalid XML at byte 4: text after the root element");
  EXPECT_EQ(Refusal("<![CDATA[x]]><a/>"),
            "invalid XML at byte 0: unexpected '<!' outside the root element");
  EXPECT_EQ(
      Refusal("<a/><?xml version='1.0'?>"),
      "invalid XML at byte 4: an XML declaration is only allowed at the start of the document");
  EXPECT_EQ(
      Refusal(" <?xml version='1.0'?><a/>"),
      "invalid XML at byte 1: an XML declaration is only allowed at the start of the document");
}

TEST(S3XmlTest, RefusesNestingDeeperThanTheLimit) {
  std::string document;
  for (size_t i = 0; i <= kMaxXmlDepth; ++i) document += "<a>";
  for (size_t i = 0; i <= kMaxXmlDepth; ++i) document += "</a>";
  EXPECT_EQ(Refusal(document), "invalid XML at byte 96: elements nested deeper than 32 levels");
  std::string self_closing(kMaxXmlDepth * 3, ' ');
  for (size_t i = 0; i < kMaxXmlDepth; ++i) self_closing.replace(i * 3, 3, "<a>");
  self_closing += "<a/>";
  EXPECT_EQ(Refusal(self_closing), "invalid XML at byte 96: elements nested deeper than 32 levels");
}

TEST(S3XmlTest, RefusesDocumentsOverOneMebibyte) {
  std::string document = "<a>" + std::string(kMaxXmlDocumentBytes - 7, 'x') + "</a>";
  EXPECT_EQ(document.size(), kMaxXmlDocumentBytes);
  EXPECT_EQ(Parsed(document).text.size(), kMaxXmlDocumentBytes - 7);
  document.insert(3, "x");
  EXPECT_EQ(Refusal(document), "XML document is too large: 1048577 bytes, at most 1048576 (1 MiB)");
}

TEST(S3XmlTest, RefusesEmptyDocuments) {
  EXPECT_EQ(Refusal(""), "XML document is empty");
  EXPECT_EQ(Refusal(" \n"), "invalid XML at byte 2: no root element");
  EXPECT_EQ(Refusal("<?xml version=\"1.0\"?><!-- nothing -->"),
            "invalid XML at byte 37: no root element");
}

TEST(S3XmlTest, RefusesBadReferences) {
  EXPECT_EQ(Refusal("<a>&#0;</a>"),
            "invalid XML at byte 3: character reference &#0; is not a character XML allows");
  EXPECT_EQ(Refusal("<a>&#xD800;</a>"),
            "invalid XML at byte 3: character reference &#xD800; is not a character XML allows");
  EXPECT_EQ(Refusal("<a>&#xFFFE;</a>"),
            "invalid XML at byte 3: character reference &#xFFFE; is not a character XML allows");
  EXPECT_EQ(Refusal("<a>&#x110000;</a>"),
            "invalid XML at byte 3: character reference &#x110000; is not a character XML allows");
  EXPECT_EQ(Refusal("<a>&#99999999999999999999;</a>"),
            "invalid XML at byte 3: character reference &#99999999999999999999; is not a character "
            "XML allows");
  EXPECT_EQ(Refusal("<a>&#x;</a>"),
            "invalid XML at byte 3: character reference &#x; has no digits");
  EXPECT_EQ(Refusal("<a>&#X41;</a>"),
            "invalid XML at byte 3: bad digit in character reference &#X41;");
  EXPECT_EQ(Refusal("<a>&#1a;</a>"),
            "invalid XML at byte 3: bad digit in character reference &#1a;");
  EXPECT_EQ(Refusal("<a>a & b</a>"),
            "invalid XML at byte 5: '&' that does not start an entity or character reference "
            "(write &amp;)");
  EXPECT_EQ(Refusal("<a>&amp</a>"),
            "invalid XML at byte 3: '&' that does not start an entity or character reference "
            "(write &amp;)");
  EXPECT_EQ(Refusal("<a b='&bogus;'/>"),
            "invalid XML at byte 6: unknown entity &bogus; (only &amp; &lt; &gt; &quot; &apos; and "
            "character references)");
}

TEST(S3XmlTest, RefusesBadBytesAndUnterminatedMarkup) {
  EXPECT_EQ(Refusal("<a>\xFF</a>"),
            "invalid XML at byte 3: not UTF-8, or a character XML does not allow");
  EXPECT_EQ(Refusal("<a>\xED\xA0\x80</a>"),  // a surrogate
            "invalid XML at byte 3: not UTF-8, or a character XML does not allow");
  EXPECT_EQ(Refusal("<a>\xC0\xAF</a>"),  // overlong
            "invalid XML at byte 3: not UTF-8, or a character XML does not allow");
  EXPECT_EQ(Refusal("<a>\xE4\xB8"),
            "invalid XML at byte 3: not UTF-8, or a character XML does not allow");
  EXPECT_EQ(Refusal(std::string("<a>\0</a>", 8)),
            "invalid XML at byte 3: control character 0 is not allowed in XML");
  EXPECT_EQ(Refusal("<a>\x1B</a>"),
            "invalid XML at byte 3: control character 27 is not allowed in XML");
  EXPECT_EQ(Refusal("<a><!-- open</a>"), "invalid XML at byte 3: unterminated comment");
  EXPECT_EQ(Refusal("<a><!--></a>"), "invalid XML at byte 3: unterminated comment");
  EXPECT_EQ(Refusal("<a><![CDATA[open</a>"), "invalid XML at byte 3: unterminated CDATA section");
  EXPECT_EQ(Refusal("<a><?pi open</a>"),
            "invalid XML at byte 3: unterminated processing instruction");
  EXPECT_EQ(Refusal("<?xml version='1.0'"), "invalid XML at byte 0: unterminated XML declaration");
  EXPECT_EQ(
      Refusal("<?xml version='1.0' encoding='ISO-8859-1'?><a/>"),
      "invalid XML at byte 0: only UTF-8 documents are accepted, not encoding=\"ISO-8859-1\"");
  EXPECT_EQ(Refusal("<a><!ELEMENT a></a>"), "invalid XML at byte 3: unexpected '<!'");
}

// Every prefix of a valid document is refused cleanly, never read past (ASan would say).
TEST(S3XmlTest, RefusesEveryTruncation) {
  std::string document =
      "<?xml version=\"1.0\"?><Delete xmlns=\"x\"><!-- c --><Object><Key>a&amp;&#x4E2D;"
      "<![CDATA[z]]></Key></Object><Quiet/></Delete>";
  ASSERT_TRUE(ParseXml(document).ok());
  for (size_t length = 0; length < document.size(); ++length) {
    EXPECT_FALSE(ParseXml(std::string_view(document).substr(0, length)).ok()) << length;
  }
}

}  // namespace
}  // namespace gleaner
