#include "cli/text_table.hpp"

#include <algorithm>

namespace ls::cli {

std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::size_t columns = header.size();
  for (const auto& r : rows) {
    columns = std::max(columns, r.size());
  }
  std::vector<std::size_t> width(columns, 0);
  auto measure = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      width[i] = std::max(width[i], r[i].size());
    }
  };
  measure(header);
  for (const auto& r : rows) {
    measure(r);
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& r) {
    std::string text;
    for (std::size_t i = 0; i < columns; ++i) {
      const std::string cell = i < r.size() ? r[i] : std::string();
      text += cell;
      if (i + 1 < columns) {
        text.append(width[i] - cell.size() + 3, ' ');
      }
    }
    while (!text.empty() && text.back() == ' ') {
      text.pop_back();
    }
    out += text + "\n";
  };
  line(header);
  for (const auto& r : rows) {
    line(r);
  }
  return out;
}

}  // namespace ls::cli
