#include "cli/table.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace gleaner {
namespace {

const char* ColourOf(const std::string& status) {
  if (status == "RUNNING" || status == "STARTING") return "\033[32m";  // green
  if (status == "FAILED") return "\033[31m";                           // red
  if (status == "RUNNABLE") return "\033[33m";                         // yellow
  if (status == "SUCCEEDED") return "\033[2m";                         // dim
  return nullptr;
}

// Display width of UTF-8 text: one column per code point.
size_t Width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

}  // namespace

void Table::AddRow(std::vector<std::string> cells, std::string status) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
  statuses_.push_back(std::move(status));
}

std::string Table::Render(bool colour) const {
  std::vector<size_t> widths;
  for (const std::string& header : headers_) widths.push_back(Width(header));
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], Width(row[i]));
  }
  auto line = [&widths](const std::vector<std::string>& cells) {
    std::string text;
    for (size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - Width(cells[i]) + 2, ' ');
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
  };
  std::string text = colour ? "\033[1m" + line(headers_) + "\033[0m\n" : line(headers_) + "\n";
  for (size_t r = 0; r < rows_.size(); ++r) {
    const char* tint = colour ? ColourOf(statuses_[r]) : nullptr;
    text += tint ? std::string(tint) + line(rows_[r]) + "\033[0m\n" : line(rows_[r]) + "\n";
  }
  return text;
}

bool StdoutWantsColour() {
  const char* term = std::getenv("TERM");
  return isatty(STDOUT_FILENO) && std::getenv("NO_COLOR") == nullptr &&
         !(term != nullptr && std::strcmp(term, "dumb") == 0);
}

std::string FormatDuration(int64_t millis) {
  int64_t seconds = std::max<int64_t>(millis, 0) / 1000;
  char text[32];
  if (seconds < 60) {
    std::snprintf(text, sizeof(text), "%llds", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(text, sizeof(text), "%lldm%02llds", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else if (seconds < 86400) {
    std::snprintf(text, sizeof(text), "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  } else {
    std::snprintf(text, sizeof(text), "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  }
  return text;
}

}  // namespace gleaner
