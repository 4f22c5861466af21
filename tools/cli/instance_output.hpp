// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_INSTANCE_OUTPUT_HPP
#define BEEOS_CLI_INSTANCE_OUTPUT_HPP

#include "console.hpp"
#include "options.hpp"
#include "table.hpp"

#include <beeos/instance.hpp>

#include <optional>
#include <string>

namespace beeos::cli
{

/// The cells of `inst` for `fields`, sanitised for a terminal.
row instance_cells(const instance& inst, const field_list& fields);

/// One JSON line (with '\n') of `inst` for `fields`.
std::string instance_json_line(const instance& inst, const field_list& fields);

/// Prints instances as `--json`, `--table` and the terminal ask: JSON lines; an aligned table
/// when stdout is a terminal or with --table; tab-separated lines without a header otherwise.
class instance_output
{
public:
    instance_output(const output_settings& settings, console& con);

    bool json() const noexcept { return settings_.json; }

    /// Prints one instance now.
    void write(const instance& inst);

    /// Prints a row made earlier by `instance_cells` (table styles only).
    void write_row(row cells);

    /// Ends the table (the header of an empty aligned table included).
    void finish();

private:
    const output_settings& settings_;
    console& con_;
    std::optional<table_printer> table_;
};

}  // namespace beeos::cli

#endif
