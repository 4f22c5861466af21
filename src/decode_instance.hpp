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

// How the two success decoders read a body. Both make one pass over it (no DOM) and follow the
// same rules, which the unit tests pin down:
//
//   - Null is an absent field (and so is an empty date-time string), but a null element of an
//     array is an error: dropping it would shift the indexes. Unknown keys are skipped, with
//     everything nested in them, at every level.
//   - A key repeated in one object counts once, with its last value: an earlier value of it,
//     right or wrong, leaves no trace. A repeated "data" replaces everything the earlier one held.
//   - Of several errors, one is reported, chosen in this precedence, whatever the order of the
//     body:
//       1. a syntax error anywhere in the body (`body is not JSON: ...`), even after a wrong type;
//       2. the envelope, in this order: the body is not an object; `success` is not a boolean;
//          `success` is false; `data` is absent, null or of the wrong kind; (pages) `total`;
//       3. (pages) the first element of `data`, in array order, that fails;
//       4. within one instance object, the first wrong field in the field table's order
//          (decode_fields.hpp: the strings, the date-times, then the rest, each group in the
//          order of `instance`'s members), not the body's.
//   - A detail quotes a server value (a bad date-time) in part only, and replaces every
//     occurrence of `redact` in it by `[redacted]` first, so not even the head of a secret the
//     server echoed is left.
//
// Both throw only `std::bad_alloc`.

/// Decodes a complete 2xx response body, the envelope `{"success":true,"data":{...InstanceDataDTO...}}`,
/// into `out`.
///
/// `out` is reset to a default `instance` first, so fields the server omitted hold the defaults
/// even when `out` is reused. `providerConfig`, `mcpServers` and `capabilities` are built in one
/// counted memory resource per instance, so `out` never refers to the parse buffers.
///
/// On failure returns `make_error_code(errc::decode)` and sets `detail` to one line naming the
/// field, e.g. `data.totalRunSeconds: expected an integer, got a string`,
/// `body is not JSON: syntax error at offset 17`, `envelope has no "data" object` or
/// `envelope says success:false`. `out` may be partly written on failure (the caller discards it).
/// `detail` is left untouched on success. `redact` (typically the bearer token) never appears in
/// a quoted value of `detail`.
boost::system::error_code decode_instance_envelope(std::string_view body, instance& out, std::string& detail, std::string_view redact = {});

/// Decodes a 2xx body of `GET /api/v1/instances`: `{"success":true,"data":[InstanceDataDTO...],"total":N}`.
/// `items` is cleared first; each element decodes as decode_instance_envelope decodes `data`
/// (detail names the element, e.g. `data[3].status: expected a string, got an integer`; a null
/// element is `data[i]: expected an object, got null`). `total` is std::nullopt when absent or
/// null; a negative or non-integer total is a decode error. `items` and `total` may be partly
/// written on failure.
boost::system::error_code decode_instance_page(
    std::string_view body,
    std::vector<instance>& items,
    std::optional<std::int64_t>& total,
    std::string& detail,
    std::string_view redact = {}
);

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
