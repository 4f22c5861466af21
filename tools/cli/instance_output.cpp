// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "instance_output.hpp"

#include <boost/json/serialize.hpp>

namespace beeos::cli
{

row instance_cells(const instance& inst, const field_list& fields)
{
    row cells;
    cells.reserve(fields.size());
    for (const field* f : fields)
        cells.push_back(sanitize_cell(cell_text(f->get(inst))));
    return cells;
}

std::string instance_json_line(const instance& inst, const field_list& fields)
{
    std::string line = boost::json::serialize(to_json(inst, fields));
    line += '\n';
    return line;
}

instance_output::instance_output(const output_settings& settings, console& con) : settings_(settings), con_(con)
{
    if (settings_.json)
        return;
    row header;
    for (const field* f : settings_.fields)
        header.emplace_back(f->name);
    const table_style style = settings_.force_table || con_.stdout_is_tty() ? table_style::aligned : table_style::tsv;
    table_.emplace(std::move(header), style, [this](std::string_view line) { con_.out(line); });
}

void instance_output::write(const instance& inst)
{
    if (settings_.json)
        con_.out(instance_json_line(inst, settings_.fields));
    else
        table_->add(instance_cells(inst, settings_.fields));
}

void instance_output::write_row(row cells)
{
    if (table_)
        table_->add(std::move(cells));
}

void instance_output::finish()
{
    if (table_)
        table_->finish();
}

}  // namespace beeos::cli
