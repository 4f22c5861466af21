// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_CLI_WATCH_FORMAT_HPP
#define BEEOS_CLI_WATCH_FORMAT_HPP

#include "fields.hpp"

#include <beeos/timestamp.hpp>
#include <beeos/watcher.hpp>

#include <boost/system/error_code.hpp>

#include <string>
#include <string_view>

namespace beeos::cli
{

/// A stable machine name of a `beeos::errc` or `beeos::wait_errc`, e.g. `not_found`,
/// `deadline_passed`; `other` for codes of other categories.
std::string_view error_name(const boost::system::error_code& ec) noexcept;

/// The text line (with '\n') of one watch event, seen at `at`:
/// `2026-05-14T18:02:11.482913Z  inst_1  initial  status=running connectivity=online`,
/// `...  inst_1  changed  status: provisioning -> running; connectivity: offline -> online`,
/// `...  inst_1  recovered  (no change)  status=running ...`,
/// `...  inst_1  error  beeos: get_instance("inst_1"): not found (HTTP 404, ...)`.
/// `fields` are the `k=v` pairs of initial and recovered events.
std::string format_event_text(const watch_event& e, const field_list& fields, timestamp at);

/// The JSON line (with '\n') of one watch event:
/// `{"time":"...","id":"inst_1","event":"changed","changed":{"status":{"from":"provisioning","to":"running"}},"instance":{...}}`;
/// errors carry `"error":{"code":"not_found","httpStatus":404,"apiCode":"...","requestId":"...","message":"beeos: ..."}`
/// instead of `instance`. `instance` holds `fields` of the whole instance.
std::string format_event_json(const watch_event& e, const field_list& fields, timestamp at);

}  // namespace beeos::cli

#endif
