#include "common/secret_file.h"

#include <fstream>
#include <sstream>

namespace gleaner {

Result<std::string> ReadSecretFile(const std::string& path) {
  std::ifstream file(path);
  if (!file) return Status::InvalidArgument("cannot read the token file " + path);
  std::string line;
  std::getline(file, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) {
    line.pop_back();
  }
  if (line.empty()) return Status::InvalidArgument("the token file " + path + " is empty");
  return line;
}

}  // namespace gleaner
