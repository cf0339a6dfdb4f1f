#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gleaner {

// A text table as squeue and sacct print them: a header row, then rows, columns padded to their
// widest cell. With colour (a terminal only), a row may be tinted by its status.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // `status` picks the row's colour (RUNNING green, FAILED red, RUNNABLE yellow, ...).
  void AddRow(std::vector<std::string> cells, std::string status = "");
  std::string Render(bool colour) const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::string> statuses_;
};

// Whether stdout is a terminal that wants colour (not when NO_COLOR is set or TERM is "dumb").
bool StdoutWantsColour();

// "45s", "3m12s", "2h05m", "3d04h": a duration for a table cell.
std::string FormatDuration(int64_t millis);

}  // namespace gleaner
