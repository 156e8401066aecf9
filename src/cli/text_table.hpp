// A plain text table: columns left-aligned to their widest cell, three spaces apart, no trailing
// blanks (as docker's tables). Pure.
#pragma once

#include <string>
#include <vector>

namespace ls::cli {

/// One line per row after the header line; rows shorter than the header get empty cells.
std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

}  // namespace ls::cli
