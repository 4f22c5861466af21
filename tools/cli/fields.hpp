// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_FIELDS_HPP
#define BEEOS_CLI_FIELDS_HPP

#include <beeos/instance.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::cli
{

/// One property of `InstanceDataDTO`, by its wire (camelCase) name.
struct field
{
    std::string_view name;
    /// The value as the API spells it: strings, numbers and objects as they are, enums as
    /// their wire spelling (the server's raw text when this version does not know the value),
    /// date-times as RFC 3339 from `beeos::format_timestamp`, null for an absent date-time or
    /// absent `capabilities`.
    boost::json::value (*get)(const instance&);
};

using field_list = std::vector<const field*>;

/// Every property, in the contract's order.
std::span<const field> all_fields();

/// The names of every property, comma-separated (for help and usage errors).
std::string field_names();

/// `--fields a,b,c`: those fields in that order.
/// \throws std::invalid_argument for an empty list, an unknown name (the message lists the
/// valid ones) or a name given twice.
field_list parse_fields(std::string_view csv);

/// What a table shows without `--fields`: id, name, status, desiredStatus, connectivity,
/// region.
field_list default_table_fields();

/// What JSON holds without `--fields`: every property.
field_list every_field();

/// The fields of `inst` as a JSON object whose keys are the wire names, in `fields` order.
boost::json::object to_json(const instance& inst, const field_list& fields);

/// A value as one table cell: strings as they are, arrays of strings joined by commas, other
/// arrays and objects as compact JSON, null as empty.
std::string cell_text(const boost::json::value& v);

}  // namespace beeos::cli

#endif
