// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "decode_instance.hpp"

#include "decode_detail.hpp"
#include "decode_envelope.hpp"
#include "json_walker.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/parse_options.hpp>

namespace beeos::detail
{
namespace
{

// One parse for both decoders: the envelope_reader's constructor arguments pass through.
template <class... Args>
boost::system::error_code decode_with(std::string_view body, std::string& detail, Args&&... args)
{
    boost::json::basic_parser<json_walker<envelope_reader>> p(boost::json::parse_options(), std::forward<Args>(args)...);
    boost::system::error_code ec;
    const std::size_t n = p.write_some(false, body.data(), body.size(), ec);
    // Bytes after the value are an error (`extra data`), as for json::parser::write.
    if (!ec && n < body.size())
        ec = boost::json::error::extra_data;
    if (ec)
        return decode_syntax_failure(detail, ec, n);
    return p.handler().sink().result(detail);
}

}  // namespace

boost::system::error_code decode_instance_envelope(std::string_view body, instance& out, std::string& detail, std::string_view redact)
{
    out = instance{};
    return decode_with(body, detail, out, redact);
}

boost::system::error_code decode_instance_page(
    std::string_view body, std::vector<instance>& items, std::optional<std::int64_t>& total, std::string& detail, std::string_view redact
)
{
    items.clear();
    total.reset();
    return decode_with(body, detail, items, total, redact);
}

}  // namespace beeos::detail
