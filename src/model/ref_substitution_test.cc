#include "model/ref_substitution.h"

#include <gtest/gtest.h>

namespace gleaner {
namespace {

using Command = std::vector<std::string>;

TEST(SubstituteParameters, ReplacesWholeArguments) {
  EXPECT_EQ(SubstituteParameters({"echo", "Ref::greeting"}, {{"greeting", "hello"}}),
            (Command{"echo", "hello"}));
}

TEST(SubstituteParameters, ReplacesInsideArgumentsAndRepeatedly) {
  EXPECT_EQ(SubstituteParameters({"--in=Ref::input.txt", "Ref::a/Ref::b.Ref::a"},
                                 {{"input", "data"}, {"a", "1"}, {"b", "2"}}),
            (Command{"--in=data.txt", "1/2.1"}));
}

TEST(SubstituteParameters, UnresolvedPlaceholderStaysLiteral) {
  EXPECT_EQ(SubstituteParameters({"Ref::missing", "x=Ref::missing;y=Ref::set"}, {{"set", "ok"}}),
            (Command{"Ref::missing", "x=Ref::missing;y=ok"}));
}

TEST(SubstituteParameters, NameIsTheLongestRunOfNameCharacters) {
  std::map<std::string, std::string> parameters = {{"in", "SHORT"}, {"input_file-2", "LONG"}};
  EXPECT_EQ(SubstituteParameters({"Ref::input_file-2"}, parameters), (Command{"LONG"}));
  // "inp" is the name here; it is not a parameter, so no shorter name ("in") is tried.
  EXPECT_EQ(SubstituteParameters({"Ref::inp"}, parameters), (Command{"Ref::inp"}));
  EXPECT_EQ(SubstituteParameters({"Ref::in.x"}, parameters), (Command{"SHORT.x"}));
  // '-' belongs to names: this names "in-Ref", unresolved, and what follows ("::in") is no
  // placeholder.
  EXPECT_EQ(SubstituteParameters({"Ref::in-Ref::in"}, parameters), (Command{"Ref::in-Ref::in"}));
}

TEST(SubstituteParameters, ValuesAreNotSubstitutedAgain) {
  EXPECT_EQ(SubstituteParameters({"Ref::a"}, {{"a", "Ref::b"}, {"b", "no"}}), (Command{"Ref::b"}));
}

TEST(SubstituteParameters, LeavesEverythingElseAlone) {
  EXPECT_EQ(SubstituteParameters({"Ref::", "ref::a", "Ref:a", "", "plain"}, {{"a", "X"}}),
            (Command{"Ref::", "ref::a", "Ref:a", "", "plain"}));
  EXPECT_EQ(SubstituteParameters({}, {{"a", "X"}}), Command{});
}

TEST(SubstituteParameters, EmptyValueRemovesThePlaceholder) {
  EXPECT_EQ(SubstituteParameters({"a-Ref::opt-b"}, {{"opt-b", ""}}), (Command{"a-"}));
}

}  // namespace
}  // namespace gleaner
