// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_DECODE_INSTANCE_HPP
#define BEEOS_SRC_DECODE_INSTANCE_HPP

#include <beeos/instance.hpp>

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace beeos::detail
{

/// Decodes a complete 2xx response body, the envelope `{"success":true,"data":{...InstanceDataDTO...}}`,
/// into `out`.
///
/// `out` is reset to a default `instance` first, so fields the server omitted (or sent as `null`,
/// or as an empty date-time string) hold the defaults even when `out` is reused. Unknown fields
/// are ignored at every level; `providerConfig`, `mcpServers` and `capabilities` are built in
/// the default memory resource, so `out` never refers to the parse buffers.
///
/// On failure returns `make_error_code(errc::decode)` and sets `detail` to one line naming the
/// field, e.g. `data.totalRunSeconds: expected an integer, got a string`,
/// `body is not JSON: syntax error at offset 17`, `envelope has no "data" object` or
/// `envelope says success:false`. `out` may be partly written on failure (the caller discards it).
/// `detail` is left untouched on success.
///
/// A single pass over the body (no DOM), but the result is what the DOM-based decoder gave: a
/// syntax error anywhere wins over a wrong type; of several wrong fields, the first in the order
/// of `instance`'s string members, date-times, then the rest, is named; a key repeated in one
/// object counts with its last value.
///
/// Throws only `std::bad_alloc`.
boost::system::error_code decode_instance_envelope(std::string_view body, instance& out, std::string& detail);

/// Decodes a 2xx body of `GET /api/v1/instances`: `{"success":true,"data":[InstanceDataDTO...],"total":N}`.
/// `items` is cleared first; each element decodes with the same rules as decode_instance_envelope
/// (detail names the element, e.g. `data[3].status: expected a string, got an integer`).
/// `total` is std::nullopt when absent or null; a negative or non-integer total is a decode error.
///
/// Errors are reported in this order: not JSON, not an object, `success`, `data` absent, null or
/// not an array, `total`, then the first element that fails (a null element is `data[i]: expected
/// an object, got null`). `items` and `total` may be partly written on failure. Throws only
/// `std::bad_alloc`.
boost::system::error_code decode_instance_page(std::string_view body, std::vector<instance>& items, std::optional<std::int64_t>& total, std::string& detail);

/// The fields of an error envelope `{"success":false,"error":{"type","code","message","request_id",...}}`.
/// All of it is server text: data to show, not to trust.
struct api_error_body
{
    std::string type;
    std::string code;
    std::string message;
    std::string request_id;
};

/// Lenient: returns true when `body` is a JSON object with an `"error"` object; string fields
/// that are absent or of the wrong type stay empty. Returns false for anything else, e.g. an
/// HTML page from a proxy, and also when memory runs out: the caller then reports the HTTP
/// status alone, which is better than terminating.
bool decode_error_envelope(std::string_view body, api_error_body& out) noexcept;

/// The enum for a wire spelling; `unknown` for anything not listed (comparison is exact,
/// case-sensitive, as the contract spells the values in lower case).
instance_status parse_instance_status(std::string_view text) noexcept;
desired_state parse_desired_state(std::string_view text) noexcept;
connectivity_state parse_connectivity_state(std::string_view text) noexcept;
ms_connection_state parse_ms_connection_state(std::string_view text) noexcept;

}  // namespace beeos::detail

#endif
