// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_IDS_HPP
#define BEEOS_CLI_IDS_HPP

#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::cli
{

/// Reads one id per line: surrounding blanks (and a CR of CRLF files) are trimmed, blank
/// lines and lines starting with '#' are skipped, and a '#' after a blank starts a comment
/// (`inst_1   # web tier`). Appends to `out`.
void read_ids(std::istream& in, std::vector<std::string>& out);

/// `--ids-from FILE`, or standard input for `-`.
/// \throws std::invalid_argument naming the file when it cannot be read.
void read_ids_from(const std::string& path, std::vector<std::string>& out);

/// Drops repeated ids, keeping the first of each, in order: each id is fetched and printed
/// once.
std::vector<std::string> unique_ids(std::vector<std::string> ids);

}  // namespace beeos::cli

#endif
