// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The client against the vendor's contract (the copy in this folder, see README.md): each case
// reads what the spec documents for getInstance and listInstances and fails, naming the
// property, value, code, status or parameter, when the client does not handle it.
#define BOOST_TEST_MODULE beeos_contract_tests
#include <boost/test/unit_test.hpp>

#include "api_codes.hpp"
#include "decode_instance.hpp"
#include "error_mapping.hpp"
#include "request.hpp"
#include "spec.hpp"

#include <beeos/client_options.hpp>
#include <beeos/error.hpp>
#include <beeos/instance.hpp>
#include <beeos/listing.hpp>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace json = boost::json;
using namespace contract;

namespace
{

// Lower bounds on what the spec must yield, so that an empty, truncated or restructured spec
// (or a reader that silently finds nothing) fails instead of passing vacuously.
constexpr std::size_t min_properties = 30;
constexpr std::size_t min_enum_properties = 4;
constexpr std::size_t min_codes = 10;

YAML::Node instance_schema()
{
    const YAML::Node data = response_data_schema(find_operation("getInstance"));
    if (!data.IsMap() || type_of(data) != "object")
        throw std::runtime_error("getInstance: `data` of the 200 response is not an object schema");
    return data;
}

struct samples
{
    json::value right;               ///< a value of the declared type (not a default, so it shows once decoded)
    std::vector<json::value> wrong;  ///< values the decoder must reject, if it reads the field
};

// Values for a property, from its schema alone. nullopt for a type this function does not know
// (the caller fails naming the property: extend it then).
std::optional<samples> samples_for(const YAML::Node& schema)
{
    const std::string type = type_of(schema);
    const std::string format = text(child(schema, "format"));
    if (type == "string" && format == "date-time")
        // A date-time decoded as a plain string would accept the second wrong value.
        return samples{"2026-05-14T18:00:00Z", {1, "not a date-time"}};
    if (type == "string")
        return samples{"s", {1}};
    if (type == "integer")
        return samples{42, {"42"}};
    if (type == "number")
        return samples{1.5, {"1.5"}};
    if (type == "boolean")
        return samples{true, {"true"}};
    if (type == "object")
        return samples{json::object{{"k", "v"}}, {"x"}};
    if (type == "array")
    {
        auto items = samples_for(resolve(child(schema, "items")));
        if (!items)
            return std::nullopt;
        return samples{json::array{items->right}, {"x"}};
    }
    return std::nullopt;
}

std::string envelope_with(const std::string& name, const json::value* value)
{
    json::object data;
    // `id` is there so that the instance is a plausible one; when the property under test is
    // `id` itself, its value replaces it (no repeated key).
    data["id"] = "x";
    if (value)
        data[name] = *value;
    return json::serialize(json::object{{"success", true}, {"data", std::move(data)}});
}

struct decoded
{
    boost::system::error_code ec;
    std::string detail;
    beeos::instance value;
};

decoded decode(const std::string& body)
{
    decoded d;
    d.ec = beeos::detail::decode_instance_envelope(body, d.value, d.detail);
    return d;
}

// The library's parser and spelling for each enum property, by wire name. A new enum property
// in the spec fails the test until it gets an enum in `beeos::instance` and an entry here.
struct enum_access
{
    std::function<bool(std::string_view)> is_unknown;
    std::function<std::string(std::string_view)> spelling;
};

template <class Parse>
enum_access access_of(Parse parse)
{
    return {
        [parse](std::string_view v) { return parse(v) == decltype(parse(v))::unknown; },
        [parse](std::string_view v) { return std::string(beeos::to_string(parse(v))); },
    };
}

const std::map<std::string, enum_access>& enum_parsers()
{
    namespace d = beeos::detail;
    static const std::map<std::string, enum_access> m = {
        {"status", access_of(d::parse_instance_status)},
        {"desiredStatus", access_of(d::parse_desired_state)},
        {"connectivity", access_of(d::parse_connectivity_state)},
        {"msConnectionStatus", access_of(d::parse_ms_connection_state)},
    };
    return m;
}

// The `errc` each documented status (or range) must map to: its own kind, never the generic
// `http_error`. A status the spec adds for these operations fails until it has a line here.
const std::map<std::string, beeos::errc>& expected_errc()
{
    static const std::map<std::string, beeos::errc> m = {
        {"400", beeos::errc::bad_request},
        {"401", beeos::errc::unauthorized},
        {"403", beeos::errc::forbidden},
        {"404", beeos::errc::not_found},
        {"429", beeos::errc::rate_limited},
        {"5XX", beeos::errc::server_error},
    };
    return m;
}

const char* const client_operations[] = {"getInstance", "listInstances"};

// Every error code getInstance and listInstances document, by code (a code documented by both
// with different statuses is reported by documented_codes_are_in_the_table).
std::vector<documented_code> documented_codes()
{
    std::vector<documented_code> out;
    for (const char* id : client_operations)
    {
        const operation op = find_operation(id);
        for (const auto& r : child(op.node, "responses"))
        {
            const std::string key = r.first.as<std::string>();
            if (key.starts_with('2'))
                continue;
            for (auto& c : codes_of_response(key, r.second))
            {
                c.response = std::string(id) + " " + c.response;
                out.push_back(std::move(c));
            }
        }
    }
    return out;
}

struct request_line
{
    std::string path;
    std::vector<std::string> query_names;
};

request_line parse_request_line(const std::string& request)
{
    // "GET <target> HTTP/1.1\r\n..."
    const auto sp1 = request.find(' ');
    const auto sp2 = request.find(' ', sp1 + 1);
    const std::string target = request.substr(sp1 + 1, sp2 - sp1 - 1);
    request_line out;
    const auto q = target.find('?');
    out.path = target.substr(0, q);
    if (q != std::string::npos)
    {
        const std::string query = target.substr(q + 1);
        for (std::size_t pos = 0; pos <= query.size();)
        {
            auto amp = query.find('&', pos);
            if (amp == std::string::npos)
                amp = query.size();
            const std::string pair = query.substr(pos, amp - pos);
            out.query_names.push_back(pair.substr(0, pair.find('=')));
            pos = amp + 1;
        }
    }
    return out;
}

const beeos::detail::endpoint& default_endpoint()
{
    static const beeos::detail::endpoint ep = beeos::detail::parse_base_url(beeos::client_options{}.base_url);
    return ep;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(contract)

BOOST_AUTO_TEST_CASE(the_spec_was_read)
{
    BOOST_TEST_MESSAGE("reading " << spec_path());
    BOOST_TEST(text(child(spec(), "openapi")).starts_with("3."));
    BOOST_TEST(!text(child(child(spec(), "info"), "version")).empty());
    // listInstances must serve the same schema as getInstance: both decode it with one decoder.
    const YAML::Node page_items = resolve(child(response_data_schema(find_operation("listInstances")), "items"));
    BOOST_CHECK_MESSAGE(page_items.is(instance_schema()), "listInstances `data` items are not getInstance's `data` schema");
}

// The trick: the decoder skips unknown keys silently, so a property it does not decode cannot
// make it fail. Giving each documented property a value of the wrong JSON type therefore tells
// the two apart: a decoded field must fail, naming `data.<property>`; an ignored one passes. A
// value of the right type must then decode and change the instance, which shows the value is
// kept somewhere rather than type-checked and dropped.
BOOST_AUTO_TEST_CASE(every_instance_property_is_decoded)
{
    const auto props = properties(instance_schema());
    BOOST_REQUIRE_MESSAGE(props.size() >= min_properties, "only " << props.size() << " properties read from the InstanceDataDTO schema");

    const decoded base = decode(envelope_with("id", nullptr));
    BOOST_REQUIRE_MESSAGE(!base.ec, base.detail);

    for (const auto& [name, schema] : props)
    {
        BOOST_TEST_CONTEXT("property " << name << " (" << type_of(schema) << ")")
        {
            const auto s = samples_for(schema);
            if (!s)
            {
                BOOST_ERROR("property " << name << ": the test has no sample value for this schema type; extend samples_for");
                continue;
            }
            for (const auto& bad : s->wrong)
            {
                const decoded d = decode(envelope_with(name, &bad));
                const std::string field = "data." + name + ":";
                BOOST_CHECK_MESSAGE(
                    d.ec == beeos::errc::decode && d.detail.starts_with(field),
                    "property " << name << " is not decoded into beeos::instance: " << json::serialize(bad)
                                << " was accepted or blamed elsewhere (" << (d.ec ? d.detail : "no error") << ")"
                );
            }
            const decoded good = decode(envelope_with(name, &s->right));
            BOOST_CHECK_MESSAGE(
                !good.ec, "property " << name << ": a value of its declared type " << json::serialize(s->right) << " fails: " << good.detail
            );
            BOOST_CHECK_MESSAGE(
                good.ec || good.value != base.value,
                "property " << name << ": " << json::serialize(s->right) << " decodes but leaves the instance unchanged"
            );
        }
    }
}

BOOST_AUTO_TEST_CASE(every_documented_enum_value_has_an_enumerator)
{
    std::size_t enum_properties = 0;
    std::size_t values = 0;
    for (const auto& [name, schema] : properties(instance_schema()))
    {
        const auto documented = documented_values(schema);
        if (documented.empty())
            continue;
        ++enum_properties;
        const auto it = enum_parsers().find(name);
        if (it == enum_parsers().end())
        {
            BOOST_ERROR("property " << name << " documents values but has no enum in beeos::instance (add one and a line in enum_parsers)");
            continue;
        }
        for (const auto& v : documented)
        {
            ++values;
            // `unknown` may itself be a documented spelling (connectivity): then it round-trips.
            BOOST_CHECK_MESSAGE(
                !it->second.is_unknown(v) || v == "unknown",
                "property " << name << ": documented value \"" << v << "\" has no enumerator (parses to unknown)"
            );
            BOOST_CHECK_MESSAGE(
                it->second.spelling(v) == v,
                "property " << name << ": to_string of the value parsed from \"" << v << "\" gives \"" << it->second.spelling(v) << "\""
            );
        }
    }
    BOOST_CHECK_MESSAGE(enum_properties >= min_enum_properties, "only " << enum_properties << " enum properties found");
    BOOST_TEST_MESSAGE(enum_properties << " enum properties, " << values << " documented values");
}

BOOST_AUTO_TEST_CASE(documented_codes_are_in_the_table)
{
    const auto codes = documented_codes();
    BOOST_REQUIRE_MESSAGE(codes.size() >= min_codes, "only " << codes.size() << " error codes read for getInstance/listInstances");
    for (const auto& c : codes)
    {
        const auto* e = beeos::detail::find_api_code(c.code);
        if (!e)
        {
            BOOST_ERROR("error code " << c.code << " (" << c.response << ") is not in src/api_codes.cpp");
            continue;
        }
        BOOST_CHECK_MESSAGE(e->in_contract, "error code " << c.code << " is documented now (" << c.response << "): set in_contract");
        if (c.status != 0)
            BOOST_CHECK_MESSAGE(
                e->http_status == c.status,
                "error code " << c.code << ": the contract sends it with HTTP " << c.status << " (" << c.response << "), the table says "
                              << e->http_status
            );
        else
            BOOST_CHECK_MESSAGE(
                e->http_status / 100 == c.status_key[0] - '0',
                "error code " << c.code << ": the table's HTTP " << e->http_status << " is outside " << c.response
            );
    }
    std::string listed;
    for (const auto& c : codes)
        listed += " " + c.code + "(" + (c.status ? std::to_string(c.status) : c.status_key) + ")";
    BOOST_TEST_MESSAGE(codes.size() << " documented error codes, getInstance then listInstances:" << listed);
}

// The other way round: a code the contract stopped documenting (as 1.1.0 dropped
// `insufficient_scope`) must leave the table, or be marked as not in the contract.
BOOST_AUTO_TEST_CASE(the_table_holds_no_stale_code)
{
    std::set<std::string> documented;
    for (const auto& c : documented_codes())
        documented.insert(c.code);
    BOOST_TEST_REQUIRE(documented.size() >= min_codes);
    std::set<std::string_view> seen;
    for (const auto& e : beeos::detail::api_code_table())
    {
        BOOST_CHECK_MESSAGE(seen.insert(e.code).second, "error code " << e.code << " is in the table twice");
        if (e.in_contract)
            BOOST_CHECK_MESSAGE(
                documented.count(std::string(e.code)),
                "error code " << e.code << " is in the table but no longer documented for getInstance/listInstances"
            );
        // The flags follow from the status the contract gives: only a 401 is about the token, and
        // only a 429 or a 5xx can pass by itself.
        BOOST_CHECK_MESSAGE(
            e.credential_problem == (e.http_status == 401),
            "error code " << e.code << ": credential_problem disagrees with HTTP " << e.http_status
        );
        BOOST_CHECK_MESSAGE(
            !e.transient || e.http_status == 429 || e.http_status >= 500,
            "error code " << e.code << ": transient with HTTP " << e.http_status
        );
        BOOST_CHECK(beeos::detail::is_credential_problem(e.code) == e.credential_problem);
    }
    BOOST_TEST(!beeos::detail::is_credential_problem("no_such_code"));
    BOOST_TEST(beeos::detail::find_api_code("no_such_code") == nullptr);
}

BOOST_AUTO_TEST_CASE(every_documented_status_has_its_own_errc)
{
    std::size_t statuses = 0;
    for (const char* id : client_operations)
    {
        for (const auto& r : child(find_operation(id).node, "responses"))
        {
            const std::string key = r.first.as<std::string>();
            ++statuses;
            if (key.starts_with('2'))
            {
                for (int s = 200; s < 300; ++s)
                    if (key == std::to_string(s) || key == "2XX")
                        BOOST_CHECK_MESSAGE(beeos::detail::errc_from_status(s) == beeos::errc{}, id << " " << key << " is not a success");
                continue;
            }
            const auto expected = expected_errc().find(key);
            int first = 0, last = 0;
            if (key.size() == 3 && key.ends_with("XX") && key[0] >= '1' && key[0] <= '5')
                first = (key[0] - '0') * 100, last = first + 99;
            else if (key.find_first_not_of("0123456789") == std::string::npos)
                first = last = std::stoi(key);
            else
            {
                BOOST_ERROR(id << ": response " << key << " is not a status the client can map");
                continue;
            }
            for (int s = first; s <= last; ++s)
            {
                const beeos::errc got = beeos::detail::errc_from_status(s);
                BOOST_CHECK_MESSAGE(
                    got != beeos::errc::http_error,
                    id << " documents HTTP " << key << ": errc_from_status(" << s << ") is the generic http_error"
                );
                if (expected == expected_errc().end())
                    BOOST_ERROR(
                        id << " documents HTTP " << key << ", for which the test expects no errc yet (errc_from_status gives " << got << ")"
                    );
                else
                    BOOST_CHECK_MESSAGE(
                        got == expected->second,
                        id << " HTTP " << s << ": errc_from_status gives " << got << ", expected " << expected->second
                    );
                if (expected == expected_errc().end())
                    break;
            }
        }
    }
    BOOST_CHECK_MESSAGE(statuses >= 7u, "only " << statuses << " responses read");
}

BOOST_AUTO_TEST_CASE(list_query_parameters_match)
{
    const operation op = find_operation("listInstances");
    std::set<std::string> documented;
    for (const auto& p : parameters(op))
        if (text(child(p, "in")) == "query")
            documented.insert(text(child(p, "name")));
    BOOST_REQUIRE_MESSAGE(documented.size() >= 2u, "only " << documented.size() << " query parameters read for listInstances");

    // Every field of list_filter set, so every parameter the client can send is in the target.
    const beeos::list_filter filter{
        .status = "running",
        .provider_id = "p",
        .agent_framework = "a",
        .cluster_id = "c",
        .search = "s",
        .page_size = 50,
    };
    const auto& ep = default_endpoint();
    const std::string headers = beeos::detail::make_fixed_headers(ep, "tok", "");
    std::string request;
    beeos::detail::build_list_instances_request(request, ep, headers, filter, 3);
    const request_line line = parse_request_line(request);

    BOOST_TEST(line.path == op.path);
    const std::set<std::string> sent(line.query_names.begin(), line.query_names.end());
    BOOST_CHECK_MESSAGE(
        sent.size() == line.query_names.size(), "a query parameter is sent twice: " << request.substr(0, request.find('\r'))
    );
    for (const auto& name : documented)
        BOOST_CHECK_MESSAGE(sent.count(name), "listInstances query parameter " << name << " is not sent by the client");
    for (const auto& name : sent)
        BOOST_CHECK_MESSAGE(
            documented.count(name), "the client sends query parameter " << name << ", which listInstances does not document"
        );
}

// Constants the client copies from the contract.
BOOST_AUTO_TEST_CASE(paths_and_limits_match)
{
    const operation get = find_operation("getInstance");
    std::string request;
    const auto& ep = default_endpoint();
    beeos::detail::build_get_instance_request(request, ep, beeos::detail::make_fixed_headers(ep, "tok", ""), "inst_1");
    std::string expected_path = get.path;
    const auto brace = expected_path.find("{id}");
    BOOST_REQUIRE_MESSAGE(brace != std::string::npos, "getInstance path " << get.path << " has no {id}");
    expected_path.replace(brace, 4, "inst_1");
    BOOST_TEST(parse_request_line(request).path == expected_path);

    std::optional<long> id_max, page_size_max;
    for (const auto& p : parameters(get))
        if (text(child(p, "name")) == "id")
            id_max = child(child(p, "schema"), "maxLength").as<long>();
    for (const auto& p : parameters(find_operation("listInstances")))
        if (text(child(p, "name")) == "pageSize")
            page_size_max = child(child(p, "schema"), "maximum").as<long>();
    BOOST_REQUIRE_MESSAGE(id_max.has_value(), "getInstance documents no maxLength for id");
    BOOST_REQUIRE_MESSAGE(page_size_max.has_value(), "listInstances documents no maximum for pageSize");
    BOOST_TEST(static_cast<long>(beeos::detail::max_id_length) == *id_max);
    BOOST_TEST(static_cast<long>(beeos::detail::max_page_size) == *page_size_max);

    const YAML::Node servers = child(spec(), "servers");
    BOOST_TEST_REQUIRE(servers.IsSequence());
    BOOST_CHECK_MESSAGE(
        beeos::client_options{}.base_url == text(child(servers[0], "url")),
        "the default base_url is not the contract's first (production) server"
    );
}

BOOST_AUTO_TEST_SUITE_END()
