// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_TABLE_HPP
#define BEEOS_CLI_TABLE_HPP

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::cli
{

using row = std::vector<std::string>;

/// How rows are laid out.
enum class table_style
{
    aligned,  ///< for people: a header, columns padded to a common width, long cells cut with "…"
    tsv,      ///< for `cut`/`awk`: no header, cells joined by tabs, never cut
};

/// Server text made safe for a terminal: C0 and C1 control characters and DEL (which could
/// move the cursor or recolour the screen) become '?'. Tabs and newlines become a space, so
/// that one instance is always one line.
std::string sanitize_cell(std::string_view text);

/// Terminal columns of UTF-8 text, counted as code points (wide CJK characters count one).
std::size_t display_width(std::string_view utf8);

/// `text` cut to at most `width` columns at a code-point boundary, ending with "…" when cut.
std::string truncate_to_width(std::string_view text, std::size_t width);

/// The width of each column: the widest of the header and `rows`, at most `max_width`.
std::vector<std::size_t> column_widths(const row& header, const std::vector<row>& rows, std::size_t max_width);

/// One line (with '\n'): cells padded to `widths`, two spaces apart, the last one unpadded. A
/// cell wider than its column is cut to `max_width`, not to the column, so a later row with a
/// longer value shifts its own line rather than losing text below the cap.
std::string format_aligned_row(const row& cells, const std::vector<std::size_t>& widths, std::size_t max_width);

/// One line (with '\n'): cells joined by tabs.
std::string format_tsv_row(const row& cells);

/// Writes rows through `sink` as they come. The aligned style holds back the first
/// `sample_rows` rows to choose the column widths, then prints every later row at once, so
/// memory stays bounded however many rows follow. Cells must already be sanitised.
class table_printer
{
public:
    using sink_type = std::function<void(std::string_view)>;

    table_printer(row header, table_style style, sink_type sink, std::size_t sample_rows = 100, std::size_t max_width = 60);

    void add(row cells);

    /// Prints what is held back (and the header, also for an empty table). Idempotent.
    void finish();

private:
    void flush_sample();

    row header_;
    table_style style_;
    sink_type sink_;
    std::size_t sample_rows_;
    std::size_t max_width_;
    std::vector<row> sample_;
    std::vector<std::size_t> widths_;
    bool started_ = false;
};

}  // namespace beeos::cli

#endif
