// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "table.hpp"

#include <algorithm>

namespace beeos::cli
{

namespace
{

bool is_continuation(unsigned char c) noexcept
{
    return (c & 0xC0) == 0x80;
}

// An empty cell in an aligned table would read as a missing column.
std::string_view shown(const std::string& cell)
{
    return cell.empty() ? std::string_view("-") : std::string_view(cell);
}

}  // namespace

std::string sanitize_cell(std::string_view text)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == '\t' || c == '\n' || c == '\r')
            out += ' ';
        else if (c < 0x20 || c == 0x7F)
            out += '?';
        else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 && static_cast<unsigned char>(text[i + 1]) <= 0x9F)
        {
            out += '?';  // U+0080..U+009F, e.g. the 8-bit CSI
            ++i;
        }
        else
            out += static_cast<char>(c);
    }
    return out;
}

std::size_t display_width(std::string_view utf8)
{
    std::size_t n = 0;
    for (char c : utf8)
        if (!is_continuation(static_cast<unsigned char>(c)))
            ++n;
    return n;
}

std::string truncate_to_width(std::string_view text, std::size_t width)
{
    if (display_width(text) <= width)
        return std::string(text);
    if (width == 0)
        return {};
    // Keep width - 1 code points and add the ellipsis.
    std::size_t kept = 0;
    std::size_t i = 0;
    for (; i < text.size(); ++i)
    {
        if (!is_continuation(static_cast<unsigned char>(text[i])))
        {
            if (kept == width - 1)
                break;
            ++kept;
        }
    }
    return std::string(text.substr(0, i)) + "\xE2\x80\xA6";
}

std::vector<std::size_t> column_widths(const row& header, const std::vector<row>& rows, std::size_t max_width)
{
    std::vector<std::size_t> widths(header.size());
    for (std::size_t c = 0; c < header.size(); ++c)
        widths[c] = std::min(display_width(header[c]), max_width);
    for (const row& r : rows)
        for (std::size_t c = 0; c < r.size() && c < widths.size(); ++c)
            widths[c] = std::max(widths[c], std::min(display_width(shown(r[c])), max_width));
    return widths;
}

std::string format_aligned_row(const row& cells, const std::vector<std::size_t>& widths, std::size_t max_width)
{
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c)
    {
        std::string cell = truncate_to_width(shown(cells[c]), max_width);
        line += cell;
        if (c + 1 < cells.size())
        {
            std::size_t w = display_width(cell);
            std::size_t target = c < widths.size() ? widths[c] : w;
            line.append(target > w ? target - w : 0, ' ');
            line += "  ";
        }
    }
    line += '\n';
    return line;
}

std::string format_tsv_row(const row& cells)
{
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c)
    {
        if (c != 0)
            line += '\t';
        line += cells[c];
    }
    line += '\n';
    return line;
}

table_printer::table_printer(row header, table_style style, sink_type sink, std::size_t sample_rows, std::size_t max_width)
    : header_(std::move(header)),
      style_(style),
      sink_(std::move(sink)),
      sample_rows_(std::max<std::size_t>(sample_rows, 1)),
      max_width_(max_width)
{
}

void table_printer::add(row cells)
{
    if (style_ == table_style::tsv)
    {
        sink_(format_tsv_row(cells));
        return;
    }
    if (started_)
    {
        sink_(format_aligned_row(cells, widths_, max_width_));
        return;
    }
    sample_.push_back(std::move(cells));
    if (sample_.size() >= sample_rows_)
        flush_sample();
}

void table_printer::finish()
{
    if (style_ == table_style::aligned && !started_)
        flush_sample();
}

void table_printer::flush_sample()
{
    started_ = true;
    widths_ = column_widths(header_, sample_, max_width_);
    sink_(format_aligned_row(header_, widths_, max_width_));
    for (const row& r : sample_)
        sink_(format_aligned_row(r, widths_, max_width_));
    sample_.clear();
    sample_.shrink_to_fit();
}

}  // namespace beeos::cli
