#include "capacity/ecs_user_data.h"

#include <cctype>
#include <cstdint>

namespace gleaner {
namespace {

constexpr std::string_view kVariable = "ECS_CLUSTER";

bool IsNameCharacter(char c) {
  // Cluster names are [A-Za-z0-9_-]; ARNs add ':' and '/' (and '.' in partitions like aws-cn).
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' ||
         c == '/' || c == '.';
}

bool IsIdentifierCharacter(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

}  // namespace

std::string EcsClusterFromUserData(std::string_view text) {
  std::string cluster;
  size_t position = 0;
  while ((position = text.find(kVariable, position)) != std::string_view::npos) {
    size_t start = position;
    position += kVariable.size();
    if (start > 0 && IsIdentifierCharacter(text[start - 1])) continue;  // MY_ECS_CLUSTER=
    size_t cursor = position;
    while (cursor < text.size() && (text[cursor] == ' ' || text[cursor] == '\t')) ++cursor;
    if (cursor >= text.size() || text[cursor] != '=') continue;
    ++cursor;
    while (cursor < text.size() && (text[cursor] == ' ' || text[cursor] == '\t')) ++cursor;
    while (cursor < text.size() && (text[cursor] == '"' || text[cursor] == '\'')) ++cursor;
    size_t end = cursor;
    while (end < text.size() && IsNameCharacter(text[end])) ++end;
    std::string value(text.substr(cursor, end - cursor));
    if (value.empty()) continue;  // ECS_CLUSTER=$NAME and the like: nothing the agent could use
    size_t slash = value.rfind(":cluster/");
    if (value.starts_with("arn:") && slash != std::string::npos) {
      value = value.substr(slash + std::string_view(":cluster/").size());
    }
    if (!value.empty()) cluster = value;  // the last one wins, as in ecs.config
  }
  return cluster;
}

}  // namespace gleaner
