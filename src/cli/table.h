// A plain text table for human output: columns padded to their widest cell, two spaces apart.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace weft::cli {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void print(std::ostream& out) const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace weft::cli
