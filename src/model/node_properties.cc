#include "model/node_properties.h"

#include <charconv>

namespace gleaner {
namespace {

// A node index as written in targetNodes: digits only; `fallback` when the text is empty.
std::optional<int> ParseNodeIndex(std::string_view text, int fallback) {
  if (text.empty()) return fallback;
  if (text.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<NodeRange> ParseTargetNodes(std::string_view target_nodes, int num_nodes) {
  if (target_nodes.empty() || num_nodes <= 0) return std::nullopt;
  size_t colon = target_nodes.find(':');
  std::string_view first_text = target_nodes.substr(0, colon);
  std::string_view last_text =
      colon == std::string_view::npos ? first_text : target_nodes.substr(colon + 1);
  std::optional<int> first = ParseNodeIndex(first_text, 0);
  std::optional<int> last = ParseNodeIndex(last_text, num_nodes - 1);
  if (!first || !last || *first > *last || *last >= num_nodes) return std::nullopt;
  return NodeRange{*first, *last};
}

bool TargetNodesInclude(std::string_view target_nodes, int node, int num_nodes) {
  std::optional<NodeRange> range = ParseTargetNodes(target_nodes, num_nodes);
  return range && range->first <= node && node <= range->last;
}

std::optional<size_t> RangeIndexForNode(const NodeProperties& properties, int node) {
  std::optional<size_t> best;
  int best_size = 0;
  for (size_t i = 0; i < properties.node_range_properties.size(); ++i) {
    std::optional<NodeRange> range =
        ParseTargetNodes(properties.node_range_properties[i].target_nodes, properties.num_nodes);
    if (!range || node < range->first || node > range->last) continue;
    if (!best || range->size() < best_size) {
      best = i;
      best_size = range->size();
    }
  }
  return best;
}

std::string TargetNodesText(int first, int last) {
  if (first == last) return std::to_string(first);
  return std::to_string(first) + ":" + std::to_string(last);
}

}  // namespace gleaner
