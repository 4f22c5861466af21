// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The only Beast-heavy translation unit of the simulator. One coroutine per connection, each on
// its own strand; shared state sits behind one mutex that is never held across I/O.
#include "gateway.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <type_traits>
#include <unordered_map>

namespace beeos::sim::detail {
// Generated at configure time from instance_body.json (see CMakeLists.txt), so the standalone
// binary needs no data file next to it.
extern const std::string_view instance_body_json;
}  // namespace beeos::sim::detail

namespace beeos::sim {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using request_type = http::request<http::string_body>;
using response_type = http::response<http::string_body>;
using tls_stream = ssl::stream<beast::tcp_stream>;

// I/O errors are expected here (clients vanish, tests cut connections); they end a connection,
// not the server, so no operation throws.
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

constexpr std::size_t max_id_chars = 128;  // the contract's maxLength for {id}
constexpr std::size_t max_header_bytes = 16 * 1024;
constexpr std::size_t max_request_body_bytes = 64 * 1024;
constexpr std::size_t idle_read_bytes = 4096;
constexpr std::size_t stream_piece_bytes = 64 * 1024;
constexpr std::size_t max_records = 10'000;
// Long enough for a live peer to answer our close_notify, short enough that a peer that never
// does (an idle pooled connection) does not pin the coroutine.
constexpr std::chrono::milliseconds close_notify_wait{250};
constexpr std::chrono::seconds stop_drain_wait{2};
constexpr std::chrono::seconds close_idle_wait{5};

void log_exception(std::exception_ptr e)
{
    if (!e)
        return;
    try
    {
        std::rethrow_exception(e);
    }
    catch (const std::exception& x)
    {
        std::fprintf(stderr, "beeos-gateway-sim: connection failed: %s\n", x.what());
    }
    catch (...)
    {
        std::fprintf(stderr, "beeos-gateway-sim: connection failed\n");
    }
}

// ---- JSON and text helpers --------------------------------------------------------------

void append_json_string(std::string& out, std::string_view s)
{
    static constexpr char hex[] = "0123456789abcdef";
    out += '"';
    for (char ch : s)
    {
        auto c = static_cast<unsigned char>(ch);
        switch (c)
        {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20)
            {
                out += "\\u00";
                out += hex[c >> 4];
                out += hex[c & 0xf];
            }
            else
                out += ch;
        }
    }
    out += '"';
}

// Counts code points, since the contract's maxLength is in characters, not bytes. Returns
// false for invalid UTF-8 (overlong forms, surrogates, beyond U+10FFFF): such an id could not
// be echoed back in a JSON body.
bool utf8_length(std::string_view s, std::size_t& chars)
{
    chars = 0;
    for (std::size_t i = 0; i < s.size(); ++chars)
    {
        auto c = static_cast<unsigned char>(s[i]);
        std::size_t n;
        std::uint32_t cp;
        if (c < 0x80) { ++i; continue; }
        else if ((c & 0xe0) == 0xc0) { n = 2; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { n = 3; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { n = 4; cp = c & 0x07; }
        else return false;
        if (i + n > s.size())
            return false;
        for (std::size_t k = 1; k < n; ++k)
        {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (cc & 0x3f);
        }
        static constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_for_len[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += n;
    }
    return true;
}

int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Path-segment decoding: '+' stays '+' (that rule is for query strings only).
bool pct_decode(std::string_view in, std::string& out)
{
    out.clear();
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i)
    {
        if (in[i] != '%')
        {
            out += in[i];
            continue;
        }
        if (i + 2 >= in.size())
            return false;
        int hi = hex_value(in[i + 1]);
        int lo = hex_value(in[i + 2]);
        if (hi < 0 || lo < 0)
            return false;
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
    }
    return true;
}

bool iequals(std::string_view a, std::string_view b)
{
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

// ---- the contract's error vocabulary ------------------------------------------------------

std::string_view error_type(int status)
{
    switch (status)
    {
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 409: return "conflict_error";
    case 429: return "rate_limit_error";
    default: return status >= 500 ? "api_error" : "invalid_request_error";
    }
}

std::string_view default_code(int status)
{
    switch (status)
    {
    case 400: return "invalid_param";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "instance_not_found";
    case 405: return "method_not_allowed";
    case 409: return "conflict";
    case 413: return "payload_too_large";
    case 429: return "rate_limited";
    case 503: return "auth_transient";
    case 504: return "service_timeout";
    default: return status >= 500 ? "internal_error" : "invalid_request";
    }
}

std::string_view default_message(int status)
{
    switch (status)
    {
    case 400: return "The request is invalid.";
    case 401: return "Authentication failed.";
    case 403: return "You do not have access to this resource.";
    case 404: return "The resource was not found.";
    case 409: return "The resource is in a conflicting state.";
    case 429: return "Too many requests; retry later.";
    case 502: return "Bad gateway.";
    case 503: return "The service is temporarily unavailable.";
    case 504: return "The gateway timed out waiting for the service.";
    default: return status >= 500 ? "Internal server error." : "The request failed.";
    }
}

std::string error_envelope(std::string_view type, std::string_view code, std::string_view message,
                           std::string_view request_id, std::string_view param = {})
{
    std::string out;
    out.reserve(96 + type.size() + code.size() + message.size() + request_id.size());
    out += R"({"success":false,"error":{"type":)";
    append_json_string(out, type);
    out += R"(,"code":)";
    append_json_string(out, code);
    out += R"(,"message":)";
    append_json_string(out, message);
    out += R"(,"request_id":)";
    append_json_string(out, request_id);
    if (!param.empty())
    {
        out += R"(,"param":)";
        append_json_string(out, param);
    }
    out += "}}";
    return out;
}

std::string error_body(int status, std::string_view code, std::string_view message,
                       std::string_view request_id, std::string_view param = {})
{
    return error_envelope(error_type(status), code, message, request_id, param);
}

// ---- instance state -----------------------------------------------------------------------

// The lifecycle fields of `instance_state`, in the order of `template_field` from `status` on.
constexpr std::optional<std::string> instance_state::*state_members[] = {
    &instance_state::status,
    &instance_state::desired_status,
    &instance_state::connectivity,
    &instance_state::connectivity_reason,
    &instance_state::ms_connection_status,
    &instance_state::error_message,
    &instance_state::endpoint,
};

// Field by field, `over` wins where it has a value.
instance_state merge(instance_state base, const instance_state& over)
{
    for (auto m : state_members)
        if (over.*m)
            base.*m = over.*m;
    return base;
}

// A lifecycle script, with each step's merged state precomputed.
struct script
{
    std::chrono::steady_clock::time_point base;  // set_lifecycle() / set_state() time
    std::vector<lifecycle_step> steps;           // `at` non-decreasing
    std::vector<instance_state> merged;          // merged[i] = merge of steps 0..i

    // How many steps have taken effect at `now`.
    std::size_t passed(std::chrono::steady_clock::time_point now) const
    {
        auto it = std::upper_bound(
            steps.begin(), steps.end(), now,
            [this](auto t, const lifecycle_step& s) { return t < base + s.at; });
        return static_cast<std::size_t>(it - steps.begin());
    }

    // What the fixture is patched with at `now` (nothing before the first step).
    instance_state state_at(std::chrono::steady_clock::time_point now) const
    {
        std::size_t k = passed(now);
        return k ? merged[k - 1] : instance_state{};
    }
};

// `inst_<n>`'s n, whatever the instance count; nullopt for any other id.
std::optional<std::uint64_t> synthetic_number(std::string_view id)
{
    if (!id.starts_with("inst_"))
        return std::nullopt;
    std::string_view digits = id.substr(5);
    // No leading zeros: inst_07 is not inst_7.
    if (digits.empty() || digits.size() > 19 || (digits.size() > 1 && digits[0] == '0'))
        return std::nullopt;
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc() || end != digits.data() + digits.size())
        return std::nullopt;
    return n;
}

// ---- success bodies -----------------------------------------------------------------------

// The fields a rendered instance fills in; the rest comes from the fixture as it is.
enum template_field : std::size_t
{
    f_id,
    f_name,
    f_owner,
    f_status,  // then desiredStatus ... endpoint, as in state_members
    field_count = f_status + std::size(state_members),
};

constexpr std::string_view field_keys[field_count] = {
    "id",           "name",         "ownerId",            "status",             "desiredStatus",
    "connectivity", "connectivityReason", "msConnectionStatus", "errorMessage",
    "endpoint",
};

// The listing filters, as query parameter names (also the `data` keys they compare).
constexpr std::string_view filter_keys[] = {"status", "providerId", "agentFramework", "clusterId"};
constexpr std::size_t filter_count = std::size(filter_keys);

// The fixture serialised once and cut around the fields a body varies (id, name, ownerId and
// the lifecycle fields), so a body is a dozen appends instead of a JSON round trip: the server
// must keep up with ~20k req/s, and a 200-item page must not parse anything.
class instance_template
{
public:
    instance_template()
    {
        boost::json::value v = boost::json::parse(detail::instance_body_json);
        boost::json::object& data = v.at("data").as_object();

        for (std::size_t i = 0; i < filter_count; ++i)
            if (auto* f = data.if_contains(filter_keys[i]); f && f->is_string())
                filter_defaults_[i] = std::string(f->as_string());
        // Unpatched fields keep the fixture's own serialisation, so a body without a state is
        // byte for byte the fixture's (a field missing from the fixture is served as "").
        for (std::size_t f = f_owner; f < field_count; ++f)
        {
            auto* value = data.if_contains(field_keys[f]);
            defaults_[f] = value ? boost::json::serialize(*value) : std::string("\"\"");
        }

        std::string marks[field_count];
        for (std::size_t f = 0; f < field_count; ++f)
        {
            marks[f] = "@@beeos_sim_field_" + std::to_string(f) + "@@";
            data[field_keys[f]] = marks[f];
        }
        std::string text = boost::json::serialize(data);

        // The envelope around `data`: serialising the object alone gives the same bytes as
        // it has inside the whole document.
        static constexpr std::string_view data_mark = "@@beeos_sim_data@@";
        v.as_object()["data"] = data_mark;
        std::string envelope = boost::json::serialize(v);
        std::size_t data_at = envelope.find('"' + std::string(data_mark) + '"');
        envelope_[0] = envelope.substr(0, data_at);
        envelope_[1] = envelope.substr(data_at + data_mark.size() + 2);

        std::pair<std::size_t, std::size_t> at[field_count];  // (offset, field)
        for (std::size_t f = 0; f < field_count; ++f)
            at[f] = {text.find('"' + marks[f] + '"'), f};
        std::sort(std::begin(at), std::end(at));
        std::size_t from = 0;
        for (std::size_t i = 0; i < field_count; ++i)
        {
            parts_[i] = text.substr(from, at[i].first - from);
            order_[i] = at[i].second;
            from = at[i].first + marks[at[i].second].size() + 2;
        }
        parts_[field_count] = text.substr(from);
        for (const auto& p : parts_)
            fixed_size_ += p.size();
        for (std::size_t f = f_owner; f < field_count; ++f)
            fixed_size_ += defaults_[f].size();
    }

    // Appends the `data` object of `id` patched with `state`; `shown_id` replaces `id` in
    // the `id` field only (the wrong-id fault). A non-empty `owner` is the tenant the body is
    // served to: it becomes `ownerId` and prefixes `name`.
    void render_data(std::string& out, std::string_view id, const instance_state& state,
                     std::optional<std::string_view> shown_id = std::nullopt,
                     std::string_view owner = {}) const
    {
        std::string name;
        if (!owner.empty())
        {
            name = owner;
            name += ':';
        }
        name += "sim-";
        name += id;
        out += parts_[0];
        for (std::size_t i = 0; i < field_count; ++i)
        {
            std::size_t f = order_[i];
            if (f == f_id)
                append_json_string(out, shown_id ? *shown_id : id);
            else if (f == f_name)
                append_json_string(out, name);
            else if (f == f_owner && !owner.empty())
                append_json_string(out, owner);
            else if (f == f_owner)
                out += defaults_[f];
            else if (const auto& value = state.*state_members[f - f_status])
                append_json_string(out, *value);
            else
                out += defaults_[f];
            out += parts_[i + 1];
        }
    }

    // The whole `{"success":true,"data":{...}}` body.
    std::string render(std::string_view id, const instance_state& state = {},
                       std::optional<std::string_view> shown_id = std::nullopt,
                       std::string_view owner = {}) const
    {
        std::string out;
        out.reserve(envelope_[0].size() + envelope_[1].size() + data_size_hint(id) +
                    (shown_id ? shown_id->size() : 0) + 2 * owner.size());
        out += envelope_[0];
        render_data(out, id, state, shown_id, owner);
        out += envelope_[1];
        return out;
    }

    std::size_t data_size_hint(std::string_view id) const
    {
        return fixed_size_ + 2 * id.size() + 64;
    }

    // Whether a rendered item with `state` passes `filters` (only the set ones count).
    bool matches(const instance_state& state,
                 const std::optional<std::string> (&filters)[filter_count]) const
    {
        for (std::size_t i = 0; i < filter_count; ++i)
        {
            if (!filters[i])
                continue;
            const std::optional<std::string>& value =
                i == 0 && state.status ? state.status : filter_defaults_[i];
            if (value != filters[i])
                return false;
        }
        return true;
    }

private:
    std::string envelope_[2];
    std::string parts_[field_count + 1];
    std::size_t order_[field_count] = {};  // the field between parts_[i] and parts_[i + 1]
    std::string defaults_[field_count];    // serialised fixture values, from f_owner on
    std::optional<std::string> filter_defaults_[filter_count];
    std::size_t fixed_size_ = 0;
};

// Whether verbatim `set_instance` data passes `filters`; data that is not a JSON object (it may
// be malformed on purpose) passes none.
bool verbatim_matches(std::string_view data_json,
                      const std::optional<std::string> (&filters)[filter_count])
{
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(data_json, ec);
    const boost::json::object* data = ec ? nullptr : v.if_object();
    for (std::size_t i = 0; i < filter_count; ++i)
    {
        if (!filters[i])
            continue;
        const boost::json::value* field = data ? data->if_contains(filter_keys[i]) : nullptr;
        if (!field || !field->is_string() || field->as_string() != *filters[i])
            return false;
    }
    return true;
}

// `set_instance` data as the tenant `owner` sees it: `ownerId` set, a string `name` prefixed
// with "<owner>:". Data that is not a JSON object (it may be malformed on purpose) and data
// served to no tenant stay byte for byte as given.
std::string owner_view(std::string_view data_json, std::string_view owner)
{
    if (owner.empty())
        return std::string(data_json);
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(data_json, ec);
    if (ec || !v.is_object())
        return std::string(data_json);
    boost::json::object& data = v.as_object();
    data["ownerId"] = owner;
    if (auto* name = data.if_contains("name"); name && name->is_string())
        *name = std::string(owner) + ':' + std::string(name->as_string());
    return boost::json::serialize(v);
}

// ---- routing ------------------------------------------------------------------------------

struct route
{
    bool matched = false;     // {prefix}/api/v1/instances/{one non-empty segment}
    bool list = false;        // {prefix}/api/v1/instances
    std::string id;           // decoded (raw if decoding failed)
    bool id_valid = false;    // percent-decoding and UTF-8 are well formed
    std::size_t id_chars = 0;
};

// `base` is "{prefix}/api/v1/instances/".
route parse_target(std::string_view target, std::string_view base)
{
    route r;
    std::string_view path = target.substr(0, target.find('?'));
    if (path.size() + 1 == base.size() && base.starts_with(path))
    {
        r.list = true;
        return r;
    }
    if (!path.starts_with(base))
        return r;
    std::string_view segment = path.substr(base.size());
    if (segment.empty() || segment.find('/') != std::string_view::npos)
        return r;
    r.matched = true;
    if (pct_decode(segment, r.id))
        r.id_valid = utf8_length(r.id, r.id_chars);
    else
        r.id.assign(segment);
    return r;
}

// listInstances' query.
struct list_query
{
    std::uint64_t page = 0;
    std::uint64_t page_size = 0;  // 0: the default
    std::optional<std::string> filters[filter_count];
    std::string bad_param;  // non-empty: 400 invalid_param naming it
    std::string bad_message;
};

// Query-string decoding: '+' is a space.
bool query_decode(std::string_view in, std::string& out)
{
    std::string plus_as_space(in);
    std::replace(plus_as_space.begin(), plus_as_space.end(), '+', ' ');
    return pct_decode(plus_as_space, out);
}

bool parse_integer(std::string_view text, std::uint64_t max, std::uint64_t& n)
{
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    return !text.empty() && ec == std::errc() && end == text.data() + text.size() && n <= max;
}

list_query parse_list_query(std::string_view target)
{
    list_query q;
    std::size_t qmark = target.find('?');
    if (qmark == std::string_view::npos)
        return q;
    std::string_view query = target.substr(qmark + 1);
    std::string key;
    std::string value;
    while (!query.empty())
    {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        std::size_t eq = pair.find('=');
        if (!query_decode(pair.substr(0, eq), key))
            continue;  // not a parameter we know
        bool known = key == "page" || key == "pageSize" ||
                     std::find(std::begin(filter_keys), std::end(filter_keys), key) !=
                         std::end(filter_keys);
        if (!known)
            continue;
        std::string_view raw =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
        if (!query_decode(raw, value))
        {
            q.bad_param = key;
            q.bad_message = key + " is not valid percent-encoding.";
            return q;
        }
        if (key == "page")
        {
            if (!parse_integer(value, 2147483647, q.page))
            {
                q.bad_param = key;
                q.bad_message = "page must be an integer from 0 to 2147483647.";
                return q;
            }
        }
        else if (key == "pageSize")
        {
            if (!parse_integer(value, 200, q.page_size))
            {
                q.bad_param = key;
                q.bad_message = "pageSize must be an integer from 0 to 200.";
                return q;
            }
        }
        else
        {
            for (std::size_t i = 0; i < filter_count; ++i)
                if (key == filter_keys[i])
                    q.filters[i] = value;
        }
    }
    return q;
}

enum class auth_result { ok, missing, invalid };

// The verdict on a request's credentials, as far as it may be recorded: tags, never the token.
struct auth_outcome
{
    auth_result result = auth_result::missing;
    std::string owner;          // the accepted token's tenant; empty for a plain token
    std::string tag;            // token_tag() of the accepted token
    std::string presented_tag;  // token_tag() of any Bearer token, accepted or not
};

// ---- content coding -----------------------------------------------------------------------

// A q-value of zero: "0", "0.", "0.0", "0.00", "0.000".
bool zero_qvalue(std::string_view q)
{
    if (q.empty() || q[0] != '0')
        return false;
    q.remove_prefix(1);
    if (q.empty())
        return true;
    if (q[0] != '.')
        return false;
    return q.find_first_not_of('0', 1) == std::string_view::npos;
}

// Whether an `Accept-Encoding` value lets the server send gzip: the first `gzip` entry decides,
// else the first `*` entry; an entry refuses only with q=0. Nothing else of RFC 9110's
// preference rules matters to a server that knows one coding.
bool accepts_gzip(std::string_view value)
{
    std::optional<bool> gzip;
    std::optional<bool> any;
    while (!value.empty())
    {
        std::size_t comma = value.find(',');
        std::string_view item = value.substr(0, comma);
        value = comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
        std::size_t semi = item.find(';');
        std::string_view coding = trim(item.substr(0, semi));
        std::string_view params =
            semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
        bool allowed = true;
        while (!params.empty())
        {
            std::size_t next = params.find(';');
            std::string_view param = trim(params.substr(0, next));
            params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
            if (param.size() >= 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=')
                allowed = !zero_qvalue(trim(param.substr(2)));
        }
        if (iequals(coding, "gzip") && !gzip)
            gzip = allowed;
        else if (coding == "*" && !any)
            any = allowed;
    }
    return gzip ? *gzip : any.value_or(false);
}

// deflate state with a gzip wrapper (windowBits 31), released however the owner ends.
class gzip_deflater
{
public:
    explicit gzip_deflater(int level)
    {
        ok_ = deflateInit2(&zs_, level, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) == Z_OK;
    }
    ~gzip_deflater()
    {
        if (ok_)
            deflateEnd(&zs_);
    }
    gzip_deflater(const gzip_deflater&) = delete;
    gzip_deflater& operator=(const gzip_deflater&) = delete;

    bool ok() const { return ok_; }
    z_stream& stream() { return zs_; }

private:
    z_stream zs_{};
    bool ok_ = false;
};

std::string gzip_compress(std::string_view in)
{
    gzip_deflater d(Z_DEFAULT_COMPRESSION);
    if (!d.ok())
        throw std::bad_alloc();
    z_stream& zs = d.stream();
    std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    // deflateBound() leaves room for the whole stream, so one Z_FINISH call completes it.
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        throw std::runtime_error("gateway-sim: deflate did not finish");
    out.resize(zs.total_out);
    return out;
}

// The Content-Encoding and body `f` and the negotiation ask for (see `fault` and
// `config::gzip`); `res` is otherwise final.
void encode_body(response_type& res, const fault& f, bool gzip_negotiated)
{
    if (f.content_encoding)
    {
        res.set(http::field::content_encoding, *f.content_encoding);
        return;
    }
    const unsigned status = res.result_int();
    if (status / 100 == 1 || status == 204 || status == 304)
        return;
    if (f.gzip_corrupt)
    {
        std::string z = gzip_compress(res.body());
        z[z.size() / 2] = static_cast<char>(z[z.size() / 2] ^ 0xff);
        res.body() = std::move(z);
        res.set(http::field::content_encoding, "gzip");
    }
    else if (gzip_negotiated && !res.body().empty() && (status == 200 || status >= 400))
    {
        res.body() = gzip_compress(res.body());
        res.set(http::field::content_encoding, "gzip");
    }
}

// ---- connection teardown ------------------------------------------------------------------

// RST: SO_LINGER 0 makes close() discard the send queue and reset the connection.
void abort_connection(beast::tcp_stream& tcp)
{
    error_code ec;
    tcp.socket().set_option(asio::socket_base::linger(true, 0), ec);
    tcp.close();
}

// FIN without TLS close_notify, as a crashed or impatient peer would do.
void drop_connection(beast::tcp_stream& tcp)
{
    error_code ec;
    tcp.socket().shutdown(tcp::socket::shutdown_both, ec);
    tcp.close();
}

template <class Stream>
asio::awaitable<void> graceful_close(Stream& stream, beast::tcp_stream& tcp)
{
    if constexpr (std::is_same_v<Stream, tls_stream>)
    {
        // Sends close_notify; then waits for the peer's, which an idle client may never send.
        tcp.expires_after(close_notify_wait);
        co_await stream.async_shutdown(nothrow);
    }
    drop_connection(tcp);
}

// Writes `res`'s header, then `total` body bytes produced by `fill(offset, dst, n)`, at most
// `piece` bytes per write, so even a huge body never sits in memory whole. The caller chooses
// chunked or Content-Length framing in the header.
template <class Stream, class Fill>
asio::awaitable<error_code> write_streamed(Stream& stream, beast::tcp_stream& tcp,
                                           http::response<http::buffer_body>& res,
                                           std::size_t total, std::size_t piece, Fill fill,
                                           std::chrono::milliseconds timeout)
{
    res.body().data = nullptr;
    res.body().more = true;
    http::response_serializer<http::buffer_body> sr{res};
    tcp.expires_after(timeout);
    auto [ec, n] = co_await http::async_write_header(stream, sr, nothrow);
    if (ec)
        co_return ec;
    std::string scratch;
    for (std::size_t sent = 0; sent < total;)
    {
        std::size_t k = std::min(piece, total - sent);
        scratch.resize(k);
        fill(sent, scratch.data(), k);
        res.body().data = scratch.data();
        res.body().size = k;
        res.body().more = true;
        tcp.expires_after(timeout);
        auto [wec, wn] = co_await http::async_write(stream, sr, nothrow);
        if (wec && wec != http::error::need_buffer)
            co_return wec;
        sent += k;
    }
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    tcp.expires_after(timeout);
    auto [fec, fn] = co_await http::async_write(stream, sr, nothrow);
    co_return fec;
}

// The decompression bomb: `res`'s header (chunked), then `zeros` zero bytes gzipped, each
// piece of deflate output a chunk as soon as it exists. deflate reads the same block of zeros
// over and over, so memory stays at a few hundred KiB whatever `zeros` is.
template <class Stream>
asio::awaitable<error_code> write_gzip_bomb(Stream& stream, beast::tcp_stream& tcp,
                                            http::response<http::buffer_body>& res,
                                            std::size_t zeros, std::chrono::milliseconds timeout)
{
    static const std::vector<unsigned char> zero_block(stream_piece_bytes, 0);
    gzip_deflater d(Z_BEST_COMPRESSION);
    if (!d.ok())
        co_return make_error_code(boost::system::errc::not_enough_memory);
    z_stream& zs = d.stream();
    std::vector<unsigned char> piece(stream_piece_bytes);

    res.body().data = nullptr;
    res.body().more = true;
    http::response_serializer<http::buffer_body> sr{res};
    tcp.expires_after(timeout);
    auto [ec, n] = co_await http::async_write_header(stream, sr, nothrow);
    if (ec)
        co_return ec;
    std::size_t left = zeros;
    for (;;)
    {
        if (zs.avail_in == 0 && left > 0)
        {
            std::size_t k = std::min(left, zero_block.size());
            zs.next_in = const_cast<Bytef*>(zero_block.data());
            zs.avail_in = static_cast<uInt>(k);
            left -= k;
        }
        const int flush = left == 0 && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH;
        zs.next_out = piece.data();
        zs.avail_out = static_cast<uInt>(piece.size());
        const int rc = deflate(&zs, flush);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
            co_return make_error_code(boost::system::errc::io_error);
        const std::size_t produced = piece.size() - zs.avail_out;
        if (produced > 0)
        {
            res.body().data = piece.data();
            res.body().size = produced;
            res.body().more = true;
            tcp.expires_after(timeout);
            auto [wec, wn] = co_await http::async_write(stream, sr, nothrow);
            if (wec && wec != http::error::need_buffer)
                co_return wec;
        }
        if (rc == Z_STREAM_END)
            break;
    }
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    tcp.expires_after(timeout);
    auto [fec, fn] = co_await http::async_write(stream, sr, nothrow);
    co_return fec;
}

// ---- responses as bytes -------------------------------------------------------------------
//
// Some faults need bytes Beast's serializer will not produce (conflicting framing, 1xx before
// the final response, bytes after the body) or writes of a granularity it does not offer
// (one byte at a time); those responses are rendered to strings and written as they are.

// Long enough that the peer's reads see the writes apart, short enough for quick tests.
constexpr std::chrono::milliseconds interim_pause{5};

bool writes_raw(const fault& f)
{
    return !f.interim_statuses.empty() || f.unsolicited_id || f.header_dribble.count() > 0 ||
           f.duplicate_content_length || f.content_length_with_chunked || f.trailing_bytes;
}

std::string_view interim_reason(int status)
{
    switch (status)
    {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 102: return "Processing";
    case 103: return "Early Hints";
    default: return "Informational";
    }
}

std::string interim_response(int status)
{
    std::string out = "HTTP/1.1 " + std::to_string(status) + ' ' +
                      std::string(interim_reason(status)) + "\r\nServer: beeos-gateway-sim\r\n";
    if (status == 103)
        out += "Link: </app.css>; rel=preload; as=style\r\n";
    else if (status == 101)
        out += "Connection: Upgrade\r\nUpgrade: websocket\r\n";
    out += "\r\n";
    return out;
}

struct wire_response
{
    std::vector<std::string> interim;  // complete 1xx responses
    std::string head;                  // status line, fields, blank line
    std::string body;                  // as framed: chunk-encoded when chunked
    std::string after;                 // trailing bytes, a zero-delay unsolicited response
};

// Renders `res` (whose own framing fields are skipped) with the framing `f` asks for,
// conflicting or not.
void render_message(const response_type& res, const fault& f, std::string& head,
                    std::string& body)
{
    const unsigned status = res.result_int();
    const bool bodiless = status / 100 == 1 || status == 204 || status == 304;
    const bool chunked = !bodiless && (f.chunked || f.content_length_with_chunked);
    const std::string_view payload = bodiless ? std::string_view() : std::string_view(res.body());

    head = res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    head += std::to_string(status);
    head += ' ';
    head += res.reason();
    head += "\r\n";
    for (const auto& field : res)
    {
        if (field.name() == http::field::content_length ||
            field.name() == http::field::transfer_encoding)
            continue;
        head += field.name_string();
        head += ": ";
        head += field.value();
        head += "\r\n";
    }
    if ((!bodiless && !chunked) || f.content_length_with_chunked || f.duplicate_content_length)
    {
        head += "Content-Length: " + std::to_string(payload.size()) + "\r\n";
        if (f.duplicate_content_length)
            head += "Content-Length: " + std::to_string(payload.size() + 1) + "\r\n";
    }
    if (chunked)
        head += "Transfer-Encoding: chunked\r\n";
    head += "\r\n";

    if (!chunked)
    {
        body.assign(payload);
        return;
    }
    // Several chunks, as the `chunked` fault sends them.
    body.clear();
    const std::size_t piece = std::max<std::size_t>(1, (payload.size() + 3) / 4);
    char size_hex[2 * sizeof(std::size_t) + 1];
    for (std::size_t at = 0; at < payload.size(); at += piece)
    {
        std::size_t k = std::min(piece, payload.size() - at);
        auto [end, ec] = std::to_chars(size_hex, size_hex + sizeof size_hex, k, 16);
        body.append(size_hex, end);
        body += "\r\n";
        body += payload.substr(at, k);
        body += "\r\n";
    }
    body += "0\r\n\r\n";
}

// Where the token starts in an `Authorization` value: after the scheme and the blanks that
// follow it (0 for a bare value).
std::size_t token_offset(std::string_view value)
{
    std::size_t space = value.find_first_of(" \t");
    if (space == std::string_view::npos)
        return 0;
    std::size_t token = value.find_first_not_of(" \t", space);
    return token == std::string_view::npos ? value.size() : token;
}

// Filler that moves text whose token starts `before` bytes in to byte `at`.
std::string echo_filler(std::size_t at, std::size_t before)
{
    return std::string(at > before ? at - before : 0, 'x');
}

// ---- per-connection state -----------------------------------------------------------------

struct connection
{
    explicit connection(asio::any_io_executor ex) : executor(ex), timer(ex) {}

    asio::any_io_executor executor;  // the connection's strand
    asio::steady_timer timer;        // fault delays; a member so that stop() can cancel it

    // Touched only on the strand.
    beast::tcp_stream* tcp = nullptr;  // set while the session runs
    bool idle = false;                 // waiting for the first byte of the next request
    bool closed = false;               // stop() or close_idle_connections() closed it
};

// Points the registry's entry at the session's stream for as long as the stream lives.
struct attachment
{
    attachment(connection& c, beast::tcp_stream& tcp) : c_(c) { c_.tcp = &tcp; }
    ~attachment() { c_.tcp = nullptr; }
    attachment(const attachment&) = delete;
    attachment& operator=(const attachment&) = delete;
    connection& c_;
};

}  // namespace

struct gateway::impl
{
    impl(config c, test_pki p);

    void start();
    void stop();
    void close_idle_connections();

    asio::awaitable<void> accept_loop(tcp::acceptor& acceptor);
    asio::awaitable<void> session(std::shared_ptr<connection> c, std::uint64_t key,
                                  tcp::socket socket);
    template <class Stream>
    asio::awaitable<void> serve(connection& c, Stream& stream, beast::tcp_stream& tcp);
    template <class Stream>
    asio::awaitable<bool> respond(connection& c, Stream& stream, beast::tcp_stream& tcp,
                                  const request_type& req);
    template <class Stream>
    asio::awaitable<void> reject(Stream& stream, beast::tcp_stream& tcp, int status,
                                 std::string_view code, std::string_view message);
    template <class Stream>
    asio::awaitable<error_code> write_wire(connection& c, Stream& stream, beast::tcp_stream& tcp,
                                           const wire_response& w, const fault& f);
    template <class Stream>
    asio::awaitable<error_code> write_bytes(Stream& stream, beast::tcp_stream& tcp,
                                            std::string_view bytes);
    asio::awaitable<bool> pause(connection& c, std::chrono::milliseconds d);

    std::unique_ptr<ssl::context> make_ssl_context() const;
    std::string next_request_id();
    auth_outcome check_auth(const request_type& req) const;
    bool hidden_from(std::string_view owner, std::string_view id) const;
    std::optional<fault> take_fault_locked(const route& r);
    response_type make_response(int status, unsigned version, std::string body,
                                const std::string& request_id) const;
    response_type error_response(const request_type& req, const std::string& request_id, int status,
                                 std::string_view code, std::string_view message,
                                 std::string_view param = {}) const;
    std::optional<response_type> refuse_method_or_auth(const request_type& req, auth_result auth,
                                                       const std::string& request_id) const;
    response_type route_response(const request_type& req, const route& r,
                                 const auth_outcome& auth, const std::optional<std::string>& data,
                                 const std::optional<instance_state>& scripted,
                                 const std::string& request_id) const;
    response_type list_response(const request_type& req, const auth_outcome& auth,
                                const std::string& request_id);
    std::string success_body(std::string_view id, std::optional<std::string_view> shown_id,
                             std::string_view owner) const;
    std::string unsolicited_response(std::string_view id, std::string_view owner);
    instance_state churn_state(std::uint64_t n, std::chrono::steady_clock::time_point now) const;
    instance_state served_state_locked(std::string_view id,
                                       std::chrono::steady_clock::time_point now) const;
    void unregister(std::uint64_t key);

    const config cfg;
    const test_pki pki;
    const std::string instances_base;  // prefix + "/api/v1/instances/"
    const instance_template body_template;
    const std::uint64_t request_id_seed;
    const std::chrono::steady_clock::time_point churn_origin = std::chrono::steady_clock::now();
    // config::owner_instances inverted: id -> the owners who may see it.
    const std::map<std::string, std::set<std::string, std::less<>>, std::less<>> id_owners;
    std::atomic<std::size_t> instance_count;
    std::atomic<std::uint64_t> request_id_counter{0};

    std::mutex lifecycle;  // serialises start(), stop() and close_idle_connections()

    // Guarded by mutex.
    mutable std::mutex mutex;
    std::condition_variable drained;
    bool running = false;
    bool stopping = false;
    bool accepting = false;
    unsigned short bound_port = 0;
    std::vector<std::string> tokens;  // the accepted plain tokens
    std::map<std::string, std::string, std::less<>> token_owners;
    std::map<std::string, std::size_t> per_tag;  // requests authorised, by token_tag()
    std::map<std::string, std::deque<fault>, std::less<>> faults;  // "" = any request
    std::unordered_map<std::string, std::string> instances;
    std::map<std::string, script, std::less<>> scripts;
    stats counters;
    std::size_t list_count = 0;
    std::unordered_map<std::string, std::size_t> per_id;
    std::deque<request_record> records;
    std::unordered_map<std::uint64_t, std::shared_ptr<connection>> connections;
    std::uint64_t next_connection_key = 0;

    // One run, between start() and stop(); touched only under `lifecycle`.
    std::unique_ptr<asio::io_context> ioc;
    std::unique_ptr<ssl::context> ssl_ctx;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    std::vector<std::thread> threads;
};

namespace {

std::string normalise_prefix(std::string p)
{
    while (!p.empty() && p.back() == '/')
        p.pop_back();
    if (!p.empty() && p.front() != '/')
        p.insert(p.begin(), '/');
    return p;
}

std::map<std::string, std::set<std::string, std::less<>>, std::less<>> invert_owners(
    const std::map<std::string, std::set<std::string>>& owner_instances)
{
    std::map<std::string, std::set<std::string, std::less<>>, std::less<>> out;
    for (const auto& [owner, ids] : owner_instances)
        for (const auto& id : ids)
            out[id].insert(owner);
    return out;
}

std::uint64_t random_seed()
{
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
}

// splitmix64's finaliser is a bijection, so distinct counters give distinct request ids.
std::uint64_t mix(std::uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

}  // namespace

gateway::impl::impl(config c, test_pki p)
    : cfg(std::move(c)),
      pki(std::move(p)),
      instances_base(normalise_prefix(cfg.path_prefix) + "/api/v1/instances/"),
      request_id_seed(random_seed()),
      id_owners(invert_owners(cfg.owner_instances)),
      instance_count(cfg.instance_count),
      tokens(cfg.tokens),
      token_owners(cfg.token_owners.begin(), cfg.token_owners.end())
{
}

std::string gateway::impl::next_request_id()
{
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t x = mix(request_id_seed + request_id_counter.fetch_add(1));
    std::string id = "req_0123456789abcdef";
    for (int i = 0; i < 16; ++i)
        id[4 + i] = hex[(x >> (60 - 4 * i)) & 0xf];
    return id;
}

std::unique_ptr<ssl::context> gateway::impl::make_ssl_context() const
{
    auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                     ssl::context::no_tlsv1_1);
    const std::string* cert = &pki.server_cert_pem;
    const std::string* key = &pki.server_key_pem;
    if (cfg.cert == certificate::wrong_host)
    {
        cert = &pki.wrong_host_cert_pem;
        key = &pki.wrong_host_key_pem;
    }
    else if (cfg.cert == certificate::untrusted)
    {
        cert = &pki.untrusted_cert_pem;
        key = &pki.untrusted_key_pem;
    }
    ctx->use_certificate_chain(asio::buffer(*cert));
    ctx->use_private_key(asio::buffer(*key), ssl::context::pem);
    return ctx;
}

void gateway::impl::start()
{
    std::lock_guard life(lifecycle);
    unsigned short port;
    {
        std::lock_guard lock(mutex);
        if (running)
            throw std::logic_error("gateway-sim: start() while already running");
        port = bound_port ? bound_port : cfg.port;
    }

    auto io = std::make_unique<asio::io_context>(std::max(1, cfg.threads));
    std::unique_ptr<ssl::context> ctx;
    if (cfg.tls && !cfg.stall_tls)
        ctx = make_ssl_context();

    error_code ec;
    auto address = asio::ip::make_address(cfg.address, ec);
    if (ec)
        throw std::system_error(ec, "gateway-sim: bad address '" + cfg.address + "'");
    tcp::endpoint endpoint(address, port);
    auto acc = std::make_unique<tcp::acceptor>(asio::make_strand(*io));
    // SO_REUSEADDR: a restart must get the same port back while old connections linger in
    // TIME_WAIT.
    acc->open(endpoint.protocol(), ec);
    if (!ec)
        acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec)
        acc->bind(endpoint, ec);
    if (!ec)
        acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec)
        throw std::system_error(ec, "gateway-sim: cannot listen on " + cfg.address + ":" +
                                        std::to_string(port));
    port = acc->local_endpoint().port();

    {
        std::lock_guard lock(mutex);
        running = true;
        stopping = false;
        accepting = true;
        bound_port = port;
        counters.max_open_connections = counters.open_connections;
    }
    ioc = std::move(io);
    ssl_ctx = std::move(ctx);
    acceptor = std::move(acc);
    work.emplace(ioc->get_executor());
    asio::co_spawn(acceptor->get_executor(), accept_loop(*acceptor), log_exception);
    int n = std::max(1, cfg.threads);
    for (int i = 0; i < n; ++i)
        threads.emplace_back([io = ioc.get()] {
            for (;;)
            {
                try
                {
                    io->run();
                    return;
                }
                catch (const std::exception& e)
                {
                    std::fprintf(stderr, "beeos-gateway-sim: %s\n", e.what());
                }
            }
        });
}

void gateway::impl::stop()
{
    std::lock_guard life(lifecycle);
    std::vector<std::shared_ptr<connection>> open;
    {
        std::lock_guard lock(mutex);
        if (!running)
            return;
        // From here no new connection registers, so the sweep below misses none.
        stopping = true;
        for (auto& [key, c] : connections)
            open.push_back(c);
    }
    asio::post(acceptor->get_executor(), [a = acceptor.get()] {
        error_code ec;
        a->close(ec);
    });
    // Closing each socket on its own strand ends reads, writes, handshakes and stalls alike.
    for (auto& c : open)
        asio::post(c->executor, [c] {
            c->closed = true;
            c->timer.cancel();
            if (c->tcp)
                c->tcp->close();
        });
    open.clear();  // they hold strand executors, which must not outlive the io_context
    {
        std::unique_lock lock(mutex);
        drained.wait_for(lock, stop_drain_wait,
                         [this] { return connections.empty() && !accepting; });
    }
    // Whatever has not finished by now (nothing, normally) is destroyed with the io_context.
    work.reset();
    ioc->stop();
    for (auto& t : threads)
        t.join();
    threads.clear();
    acceptor.reset();
    {
        // Entries hold strand executors, which must not outlive the io_context.
        std::lock_guard lock(mutex);
        connections.clear();
    }
    ioc.reset();
    ssl_ctx.reset();
    std::lock_guard lock(mutex);
    // Sessions destroyed unstarted with the io_context never unregistered; every socket is
    // closed by now either way.
    counters.open_connections = 0;
    running = false;
    stopping = false;
    accepting = false;
}

void gateway::impl::close_idle_connections()
{
    std::lock_guard life(lifecycle);
    std::vector<std::shared_ptr<connection>> open;
    {
        std::lock_guard lock(mutex);
        if (!running || stopping)
            return;
        for (auto& [key, c] : connections)
            open.push_back(c);
    }
    if (open.empty())
        return;
    struct countdown
    {
        std::atomic<std::size_t> left;
        std::promise<void> done;
    };
    auto pending = std::make_shared<countdown>();
    pending->left = open.size();
    auto finished = pending->done.get_future();
    for (auto& c : open)
        asio::post(c->executor, [c, pending] {
            // Checked on the strand: a connection whose next request already arrived is busy.
            if (c->idle && c->tcp && !c->closed)
            {
                c->closed = true;
                drop_connection(*c->tcp);
            }
            if (--pending->left == 0)
                pending->done.set_value();
        });
    // The caller's next request must find these sockets closed, so wait for the sweep.
    finished.wait_for(close_idle_wait);
}

void gateway::impl::unregister(std::uint64_t key)
{
    std::lock_guard lock(mutex);
    if (connections.erase(key))
        --counters.open_connections;
    drained.notify_all();
}

asio::awaitable<void> gateway::impl::accept_loop(tcp::acceptor& acc)
{
    for (;;)
    {
        auto [ec, socket] = co_await acc.async_accept(asio::make_strand(*ioc), nothrow);
        if (ec)
        {
            if (ec == asio::error::operation_aborted || !acc.is_open())
                break;
            // EMFILE, ECONNABORTED, ...: the listener itself is fine. Pause briefly so that a
            // persistent error (out of descriptors) does not spin a core.
            asio::steady_timer pause(acc.get_executor(), std::chrono::milliseconds(10));
            co_await pause.async_wait(nothrow);
            continue;
        }
        auto c = std::make_shared<connection>(socket.get_executor());
        std::uint64_t key;
        {
            std::lock_guard lock(mutex);
            if (stopping)
                break;
            key = next_connection_key++;
            connections.emplace(key, c);
            ++counters.connections_accepted;
            ++counters.open_connections;
            counters.max_open_connections =
                std::max(counters.max_open_connections, counters.open_connections);
        }
        auto ex = socket.get_executor();
        asio::co_spawn(ex, session(std::move(c), key, tcp::socket(std::move(socket))),
                       log_exception);
    }
    std::lock_guard lock(mutex);
    accepting = false;
    drained.notify_all();
}

asio::awaitable<void> gateway::impl::session(std::shared_ptr<connection> c, std::uint64_t key,
                                             tcp::socket socket)
{
    // Unregisters last, after the stream is gone, even if something below throws.
    struct registration
    {
        impl& g;
        std::uint64_t key;
        ~registration() { g.unregister(key); }
    } reg{*this, key};

    if (cfg.tls && !cfg.stall_tls)
    {
        tls_stream stream(std::move(socket), *ssl_ctx);
        attachment att(*c, stream.next_layer());
        if (c->closed)
            co_return;
        stream.next_layer().expires_after(cfg.keep_alive_timeout);
        auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, nothrow);
        if (ec)
            co_return;
        {
            std::lock_guard lock(mutex);
            ++counters.tls_handshakes;
        }
        co_await serve(*c, stream, stream.next_layer());
        co_return;
    }

    beast::tcp_stream stream(std::move(socket));
    attachment att(*c, stream);
    if (c->closed)
        co_return;
    if (cfg.stall_tls)
    {
        // Swallow the ClientHello and whatever follows; never answer, never time out. Only
        // the client or stop() ends this.
        char sink[4096];
        for (;;)
        {
            auto [ec, n] = co_await stream.socket().async_read_some(asio::buffer(sink), nothrow);
            if (ec)
                co_return;
        }
    }
    co_await serve(*c, stream, stream);
}

template <class Stream>
asio::awaitable<void> gateway::impl::serve(connection& c, Stream& stream, beast::tcp_stream& tcp)
{
    beast::flat_buffer buffer(max_header_bytes + max_request_body_bytes + idle_read_bytes);
    for (;;)
    {
        if (buffer.size() == 0)
        {
            // Reading the first byte separately gives a clear "idle" state for
            // close_idle_connections(): no byte of the next request has arrived.
            c.idle = true;
            tcp.expires_after(cfg.keep_alive_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(idle_read_bytes),
                                                           nothrow);
            c.idle = false;
            if (ec)
                co_return;  // peer closed, keep-alive timeout, or we closed it
            buffer.commit(n);
        }

        http::request_parser<http::string_body> parser;
        parser.header_limit(max_header_bytes);
        parser.body_limit(max_request_body_bytes);
        tcp.expires_after(cfg.keep_alive_timeout);
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, nothrow);
        if (ec)
        {
            if (c.closed)
                co_return;
            if (ec == http::error::header_limit)
                co_await reject(stream, tcp, 431, "request_header_too_large",
                                "The request header exceeds 16 KiB.");
            else if (ec == http::error::body_limit)
                co_await reject(stream, tcp, 413, "payload_too_large",
                                "The request body is too large.");
            else if (ec.category() == http::make_error_code(http::error::bad_target).category() &&
                     ec != http::error::end_of_stream && ec != http::error::partial_message)
                co_await reject(stream, tcp, 400, "invalid_request", "Malformed HTTP request.");
            co_return;
        }
        if (!co_await respond(c, stream, tcp, parser.get()))
            co_return;
    }
}

template <class Stream>
asio::awaitable<void> gateway::impl::reject(Stream& stream, beast::tcp_stream& tcp, int status,
                                            std::string_view code, std::string_view message)
{
    std::string request_id = next_request_id();
    response_type res =
        make_response(status, 11, error_body(status, code, message, request_id), request_id);
    res.keep_alive(false);
    res.prepare_payload();
    tcp.expires_after(cfg.keep_alive_timeout);
    auto [ec, n] = co_await http::async_write(stream, res, nothrow);
    if (!ec)
        co_await graceful_close(stream, tcp);
}

auth_outcome gateway::impl::check_auth(const request_type& req) const
{
    auth_outcome out;
    auto it = req.find(http::field::authorization);
    if (it == req.end())
        return out;
    std::string_view value = trim(it->value());
    if (value.empty())
        return out;
    out.result = auth_result::invalid;
    std::size_t space = value.find(' ');
    if (space == std::string_view::npos || !iequals(value.substr(0, space), "Bearer"))
        return out;
    std::string_view token = trim(value.substr(space + 1));
    out.presented_tag = token_tag(token);
    {
        std::lock_guard lock(mutex);
        if (auto o = token_owners.find(token); o != token_owners.end())
        {
            out.result = auth_result::ok;
            out.owner = o->second;
        }
        else if (std::find(tokens.begin(), tokens.end(), token) != tokens.end())
            out.result = auth_result::ok;
    }
    if (out.result == auth_result::ok)
        out.tag = out.presented_tag;
    return out;
}

bool gateway::impl::hidden_from(std::string_view owner, std::string_view id) const
{
    if (owner.empty() || id_owners.empty())
        return false;
    auto it = id_owners.find(id);
    return it != id_owners.end() && !it->second.contains(owner);
}

std::optional<fault> gateway::impl::take_fault_locked(const route& r)
{
    if (faults.empty())
        return std::nullopt;
    auto it = faults.end();
    if (r.matched && r.id != list_route)
        it = faults.find(r.id);
    else if (r.list)
        it = faults.find(list_route);
    if (it == faults.end())
        it = faults.find(std::string());
    if (it == faults.end())
        return std::nullopt;
    auto& queue = it->second;
    fault f = queue.front();
    if (queue.front().times > 0 && --queue.front().times == 0)
        queue.pop_front();
    if (queue.empty())
        faults.erase(it);
    return f;
}

instance_state gateway::impl::churn_state(std::uint64_t n,
                                          std::chrono::steady_clock::time_point now) const
{
    instance_state s;
    if (cfg.churn_period.count() <= 0)
        return s;
    // 128 bits: n * 7919 and phase * count overflow 64 for large counts.
    __extension__ typedef unsigned __int128 u128;
    const u128 period = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(cfg.churn_period).count());
    const u128 count = std::max<std::size_t>(cfg.instance_count, 1);
    const u128 phase = (u128(n) * 7919 % count) * period / count;
    const auto elapsed = (now - churn_origin).count();
    const u128 t = elapsed > 0 ? static_cast<std::uint64_t>(elapsed) : 0;
    s.connectivity = (t + phase) / period % 2 == 0 ? "online" : "offline";
    return s;
}

// What the fixture is patched with for `id` now, ignoring `set_instance` data: its script's
// state, or churn for a synthetic id in range.
instance_state gateway::impl::served_state_locked(std::string_view id,
                                                  std::chrono::steady_clock::time_point now) const
{
    if (auto it = scripts.find(id); it != scripts.end())
        return it->second.state_at(now);
    if (auto n = synthetic_number(id); n && *n < instance_count.load())
        return churn_state(*n, now);
    return {};
}

response_type gateway::impl::make_response(int status, unsigned version, std::string body,
                                           const std::string& request_id) const
{
    response_type res;
    res.version(version);
    res.result(static_cast<unsigned>(status));
    res.set(http::field::server, "beeos-gateway-sim");
    res.set(http::field::content_type, "application/json");
    res.set("X-Request-Id", request_id);
    res.body() = std::move(body);
    return res;
}

response_type gateway::impl::error_response(const request_type& req, const std::string& request_id,
                                            int status, std::string_view code,
                                            std::string_view message, std::string_view param) const
{
    return make_response(status, req.version(), error_body(status, code, message, request_id, param),
                         request_id);
}

// The checks every route makes, in this order: GET only, then a valid bearer token.
std::optional<response_type> gateway::impl::refuse_method_or_auth(const request_type& req,
                                                                  auth_result auth,
                                                                  const std::string& request_id) const
{
    if (req.method() != http::verb::get)
    {
        auto res = error_response(req, request_id, 405, "method_not_allowed",
                                  "Only GET is served on this path.");
        res.set(http::field::allow, "GET");
        return res;
    }
    if (auth == auth_result::missing)
        return error_response(req, request_id, 401, "missing_token",
                              "The Authorization header is missing.");
    if (auth == auth_result::invalid)
        return error_response(req, request_id, 401, "invalid_token", "The bearer token is invalid.");
    return std::nullopt;
}

response_type gateway::impl::route_response(const request_type& req, const route& r,
                                            const auth_outcome& auth,
                                            const std::optional<std::string>& data,
                                            const std::optional<instance_state>& scripted,
                                            const std::string& request_id) const
{
    auto error = [&](int status, std::string_view code, std::string_view message,
                     std::string_view param = {}) {
        return error_response(req, request_id, status, code, message, param);
    };
    if (!r.matched)
        return error(404, "route_not_found", "No route matches this path.");
    if (auto refused = refuse_method_or_auth(req, auth.result, request_id))
        return std::move(*refused);
    if (!r.id_valid)
        return error(400, "invalid_param", "id is not valid percent-encoded UTF-8.", "id");
    if (r.id_chars > max_id_chars)
        return error(400, "invalid_param", "id must be at most 128 characters.", "id");
    const std::string not_found = "Instance '" + r.id + "' was not found.";
    // Another tenant's instance is indistinguishable from one that does not exist.
    if (hidden_from(auth.owner, r.id))
        return error(404, "instance_not_found", not_found);
    if (data)
    {
        const std::string shown = owner_view(*data, auth.owner);
        std::string body;
        body.reserve(shown.size() + 32);
        body += R"({"success":true,"data":)";
        body += shown;
        body += '}';
        return make_response(200, req.version(), std::move(body), request_id);
    }
    if (scripted)
        return make_response(200, req.version(),
                             body_template.render(r.id, *scripted, std::nullopt, auth.owner),
                             request_id);
    if (r.id.starts_with("inst_forbidden"))
        return error(403, "forbidden", "You do not own this instance.");
    if (auto n = synthetic_number(r.id); n && *n < instance_count.load())
    {
        instance_state churned = churn_state(*n, std::chrono::steady_clock::now());
        return make_response(200, req.version(),
                             body_template.render(r.id, churned, std::nullopt, auth.owner),
                             request_id);
    }
    return error(404, "instance_not_found", not_found);
}

response_type gateway::impl::list_response(const request_type& req, const auth_outcome& auth,
                                           const std::string& request_id)
{
    auto error = [&](int status, std::string_view code, std::string_view message,
                     std::string_view param = {}) {
        return error_response(req, request_id, status, code, message, param);
    };
    if (auto refused = refuse_method_or_auth(req, auth.result, request_id))
        return std::move(*refused);
    const list_query q = parse_list_query(req.target());
    if (!q.bad_param.empty())
        return error(400, "invalid_param", q.bad_message, q.bad_param);

    const std::uint64_t size = q.page_size ? q.page_size : 20;
    const std::uint64_t start = q.page * size;  // < 2^39: no overflow
    const bool filtered = std::any_of(std::begin(q.filters), std::end(q.filters),
                                      [](const auto& f) { return f.has_value(); });

    // Synthetic ids in range that are not served from the plain template: set_instance data
    // (verbatim) or a script (own state). Only these can differ from the others in a filter,
    // so `total` and the page come from them without visiting every id.
    struct special
    {
        std::uint64_t n;
        std::optional<std::string> verbatim;
        instance_state state;
        bool match = true;
    };
    std::vector<special> specials;
    const auto now = std::chrono::steady_clock::now();
    const std::uint64_t count = instance_count.load();

    // Synthetic ids in range that belong to other tenants: dropped like filtered-out ones.
    std::vector<std::uint64_t> hidden;
    if (!auth.owner.empty())
        for (const auto& [id, owners] : id_owners)
            if (auto n = synthetic_number(id); n && *n < count && !owners.contains(auth.owner))
                hidden.push_back(*n);
    std::sort(hidden.begin(), hidden.end());
    // Without drops only the page's own ids matter; drops shift the page by their number.
    const bool drops = filtered || !hidden.empty();
    {
        std::lock_guard lock(mutex);
        auto wanted = [&](std::uint64_t n) {
            return n < count && (drops || (n >= start && n - start < size));
        };
        for (const auto& [id, data] : instances)
            if (auto n = synthetic_number(id); n && wanted(*n))
                specials.push_back({*n, data, {}});
        for (const auto& [id, sc] : scripts)
            if (auto n = synthetic_number(id); n && wanted(*n))
                specials.push_back({*n, std::nullopt, sc.state_at(now)});
    }
    // By n, verbatim data first, so that it wins over a script for the same id.
    std::sort(specials.begin(), specials.end(), [](const special& a, const special& b) {
        return a.n != b.n ? a.n < b.n : a.verbatim.has_value() > b.verbatim.has_value();
    });
    specials.erase(std::unique(specials.begin(), specials.end(),
                               [](const special& a, const special& b) { return a.n == b.n; }),
                   specials.end());

    // Churn touches only `connectivity`, which no filter reads, so every plain id matches or
    // none does.
    const bool plain_match = body_template.matches(instance_state{}, q.filters);
    if (filtered)
        for (auto& sp : specials)
            sp.match = sp.verbatim ? verbatim_matches(*sp.verbatim, q.filters)
                                   : body_template.matches(sp.state, q.filters);
    for (auto& sp : specials)
        if (std::binary_search(hidden.begin(), hidden.end(), sp.n))
            sp.match = false;

    std::uint64_t total = 0;
    std::vector<std::uint64_t> page;
    if (plain_match)
    {
        // Kept: every n < count but the specials that fail the filter and the hidden ones.
        std::vector<std::uint64_t> dropped = hidden;
        for (const auto& sp : specials)
            if (!sp.match)
                dropped.push_back(sp.n);
        std::sort(dropped.begin(), dropped.end());
        dropped.erase(std::unique(dropped.begin(), dropped.end()), dropped.end());
        total = count - dropped.size();
        // The start-th kept n: each dropped one at or below it pushes it up by one.
        std::uint64_t n = start;
        std::size_t d = 0;
        for (; d < dropped.size() && dropped[d] <= n; ++d)
            ++n;
        for (; page.size() < size && n < count; ++n)
        {
            if (d < dropped.size() && dropped[d] == n)
            {
                ++d;
                continue;
            }
            page.push_back(n);
        }
    }
    else
    {
        for (const auto& sp : specials)
            if (sp.match)
            {
                if (total >= start && total - start < size)
                    page.push_back(sp.n);
                ++total;
            }
    }

    std::string body;
    const std::size_t item_hint =
        body_template.data_size_hint("inst_18446744073709551615") + 2 * auth.owner.size();
    body.reserve(64 + page.size() * (item_hint + 1));
    body += R"({"success":true,"data":[)";
    std::string id;
    for (std::size_t i = 0; i < page.size(); ++i)
    {
        if (i)
            body += ',';
        std::uint64_t n = page[i];
        auto sp = std::lower_bound(specials.begin(), specials.end(), n,
                                   [](const special& s, std::uint64_t v) { return s.n < v; });
        if (sp != specials.end() && sp->n == n && sp->verbatim)
        {
            body += owner_view(*sp->verbatim, auth.owner);
            continue;
        }
        id = "inst_" + std::to_string(n);
        if (sp != specials.end() && sp->n == n)
            body_template.render_data(body, id, sp->state, std::nullopt, auth.owner);
        else
            body_template.render_data(body, id, churn_state(n, now), std::nullopt, auth.owner);
    }
    body += R"(],"total":)";
    body += std::to_string(total);
    body += '}';
    return make_response(200, req.version(), std::move(body), request_id);
}

// The 200 body getInstance would serve for `id` now (as the tenant `owner` sees it), the
// fixture where it would not serve a 200; `shown_id` replaces `data.id` (the wrong-id fault).
std::string gateway::impl::success_body(std::string_view id,
                                        std::optional<std::string_view> shown_id,
                                        std::string_view owner) const
{
    std::optional<std::string> data;
    instance_state state;
    {
        std::lock_guard lock(mutex);
        if (auto it = instances.find(std::string(id)); it != instances.end())
            data = it->second;
        else
            state = served_state_locked(id, std::chrono::steady_clock::now());
    }
    if (!data)
        return body_template.render(id, state, shown_id, owner);
    std::string body = R"({"success":true,"data":)";
    boost::json::value v;
    error_code ec;
    if (shown_id)
        v = boost::json::parse(*data, ec);
    if (shown_id && !ec && v.is_object())
    {
        v.as_object()["id"] = *shown_id;
        body += owner_view(boost::json::serialize(v), owner);
    }
    else
        body += owner_view(*data, owner);  // malformed on purpose: served as it is
    body += '}';
    return body;
}

std::string gateway::impl::unsolicited_response(std::string_view id, std::string_view owner)
{
    response_type res =
        make_response(200, 11, success_body(id, std::nullopt, owner), next_request_id());
    std::string head;
    std::string body;
    render_message(res, fault{}, head, body);
    return head + body;
}

asio::awaitable<bool> gateway::impl::pause(connection& c, std::chrono::milliseconds d)
{
    if (c.closed)
        co_return false;
    c.timer.expires_after(d);
    // Only stop() cancels it, and that sets `closed`.
    auto waited = co_await c.timer.async_wait(nothrow);
    (void)waited;
    co_return !c.closed;
}

template <class Stream>
asio::awaitable<error_code> gateway::impl::write_bytes(Stream& stream, beast::tcp_stream& tcp,
                                                       std::string_view bytes)
{
    // One buffer, so that over TLS the bytes leave as one record (up to 16 KiB) and a peer
    // reads them in one go.
    tcp.expires_after(cfg.keep_alive_timeout);
    auto [ec, n] =
        co_await asio::async_write(stream, asio::buffer(bytes.data(), bytes.size()), nothrow);
    co_return ec;
}

// Interim responses, then the final one, in the writes `f` asks for (see `fault`).
template <class Stream>
asio::awaitable<error_code> gateway::impl::write_wire(connection& c, Stream& stream,
                                                      beast::tcp_stream& tcp,
                                                      const wire_response& w, const fault& f)
{
    // Nagle would hold a small write back until the peer ACKs the one before (up to its
    // delayed-ACK timeout of ~40 ms), merging the writes and pauses this fault keeps apart.
    error_code nodelay_ec;
    tcp.socket().set_option(asio::ip::tcp::no_delay(true), nodelay_ec);
    const error_code aborted = asio::error::operation_aborted;
    std::string pending;  // what goes out in the next write
    bool wrote = false;
    for (const auto& interim : w.interim)
    {
        if (!f.interim_split)
        {
            pending += interim;
            continue;
        }
        if (wrote)
        {
            bool open = co_await pause(c, interim_pause);
            if (!open)
                co_return aborted;
        }
        error_code ec = co_await write_bytes(stream, tcp, interim);
        if (ec)
            co_return ec;
        wrote = true;
    }
    if (wrote)
    {
        bool open = co_await pause(c, interim_pause);
        if (!open)
            co_return aborted;
    }
    if (f.header_dribble.count() > 0)
    {
        if (!pending.empty())
        {
            error_code ec = co_await write_bytes(stream, tcp, pending);
            if (ec)
                co_return ec;
            pending.clear();
        }
        const std::string_view head = w.head;
        for (std::size_t i = 0; i < head.size(); ++i)
        {
            if (i > 0)
            {
                bool open = co_await pause(c, f.header_dribble);
                if (!open)
                    co_return aborted;
            }
            error_code ec = co_await write_bytes(stream, tcp, head.substr(i, 1));
            if (ec)
                co_return ec;
        }
    }
    else
        pending += w.head;
    pending += w.body;
    pending += w.after;
    if (pending.empty())
        co_return error_code();
    error_code ec = co_await write_bytes(stream, tcp, pending);
    co_return ec;
}

template <class Stream>
asio::awaitable<bool> gateway::impl::respond(connection& c, Stream& stream,
                                             beast::tcp_stream& tcp, const request_type& req)
{
    route r = parse_target(req.target(), instances_base);
    const auth_outcome auth = check_auth(req);

    request_record rec;
    rec.received = std::chrono::steady_clock::now();
    rec.target = req.target();
    rec.id = r.matched ? r.id : std::string();
    if (auto it = req.find(http::field::authorization); it != req.end())
    {
        rec.had_authorization = true;
        // Only the scheme: without a space the whole value may be a bare token.
        std::string_view v = trim(it->value());
        if (auto space = v.find(' '); space != std::string_view::npos)
            rec.authorization_scheme = v.substr(0, space);
    }
    rec.user_agent = req[http::field::user_agent];
    rec.accept = req[http::field::accept];
    rec.accept_encoding = req[http::field::accept_encoding];
    rec.host = req[http::field::host];
    rec.token_tag = auth.tag;
    rec.presented_token_tag = auth.presented_tag;
    rec.owner = auth.owner;

    std::optional<fault> taken;
    std::optional<std::string> data;
    {
        std::lock_guard lock(mutex);
        ++counters.requests;
        if (r.matched)
            ++per_id[r.id];
        if (r.list)
            ++list_count;
        if (!auth.tag.empty())
            ++per_tag[auth.tag];
        records.push_back(std::move(rec));
        if (records.size() > max_records)
            records.pop_front();
        taken = take_fault_locked(r);
        if (r.matched && !instances.empty())
            if (auto it = instances.find(r.id); it != instances.end())
                data = it->second;
    }
    const fault f = taken ? std::move(*taken) : fault{};

    if (f.delay.count() > 0)
    {
        if (c.closed)
            co_return false;
        c.timer.expires_after(f.delay);
        co_await c.timer.async_wait(nothrow);
        if (c.closed)
            co_return false;
    }
    if (f.reset_before_response)
    {
        abort_connection(tcp);
        co_return false;
    }

    std::string request_id = next_request_id();
    bool keep_alive = req.keep_alive() && !f.connection_close;
    int status = f.oversized_body_bytes && !f.status ? 200 : f.status;

    // The token-echo fault's text: the Authorization value, its token at the configured byte.
    std::string echo;
    std::string_view authorization = req[http::field::authorization];
    if (f.echo_authorization_at)
        echo = echo_filler(*f.echo_authorization_at, token_offset(authorization)) +
               std::string(authorization);

    response_type res;
    if (f.wrong_id && r.matched && !f.oversized_body_bytes)
    {
        // With the token echo, the wrong id is the token itself at the configured byte.
        std::string id = f.echo_authorization_at
                             ? echo_filler(*f.echo_authorization_at, 0) +
                                   std::string(authorization.substr(token_offset(authorization)))
                             : *f.wrong_id;
        res = make_response(200, req.version(), success_body(r.id, id, auth.owner), request_id);
    }
    else if (status == 0 && r.list)
        res = list_response(req, auth, request_id);
    else if (status == 0)
    {
        // Read after the delay: the body shows the state at the time it is sent.
        std::optional<instance_state> scripted;
        if (r.matched && !data)
        {
            std::lock_guard lock(mutex);
            if (auto it = scripts.find(r.id); it != scripts.end())
                scripted = it->second.state_at(std::chrono::steady_clock::now());
        }
        res = route_response(req, r, auth, data, scripted, request_id);
    }
    else if (f.echo_authorization_at && status >= 300)
        res = make_response(status, req.version(), error_envelope(echo, echo, echo, echo),
                            request_id);
    else if (status >= 400)
    {
        std::string_view code = f.code.empty() ? default_code(status) : f.code;
        res = make_response(status, req.version(),
                            error_body(status, code, default_message(status), request_id),
                            request_id);
    }
    else
        res = make_response(status, req.version(), std::string(), request_id);
    if (f.body)
        res.body() = *f.body;
    if (f.content_type)
        res.set(http::field::content_type, *f.content_type);
    if (f.retry_after)
        res.set(http::field::retry_after, *f.retry_after);
    if (f.location)
        res.set(http::field::location, *f.location);
    if (f.echo_authorization_at)
    {
        res.set("X-Request-Id", echo);
        if (res.result_int() / 100 == 3)
        {
            constexpr std::string_view scheme = "https://";
            res.set(http::field::location,
                    std::string(scheme) + echo_filler(*f.echo_authorization_at, scheme.size()) +
                        std::string(authorization.substr(token_offset(authorization))) +
                        ".evil.example/next");
        }
    }
    res.keep_alive(keep_alive);
    // These statuses must not carry a body; prepare_payload() would throw.
    if (status == 204 || status == 304 || (status >= 100 && status < 200))
        res.body().clear();
    // Every body fault below sends res.body() as it is now, so it is coded here once.
    if (!f.oversized_body_bytes && !f.gzip_bomb_bytes)
        encode_body(res, f, cfg.gzip && accepts_gzip(req[http::field::accept_encoding]));

    error_code ec;
    if (f.oversized_body_bytes && !f.gzip_bomb_bytes && !f.interim_statuses.empty())
    {
        wire_response interim_only;
        for (int s : f.interim_statuses)
            interim_only.interim.push_back(interim_response(s));
        ec = co_await write_wire(c, stream, tcp, interim_only, f);
        if (ec || c.closed)
            co_return false;
    }
    if (f.gzip_bomb_bytes)
    {
        // A fresh 200: the bomb replaces whatever the route or the other faults would send.
        http::response<http::buffer_body> out;
        out.version(req.version());
        out.result(http::status::ok);
        out.set(http::field::server, "beeos-gateway-sim");
        out.set(http::field::content_type, "application/json");
        out.set(http::field::content_encoding, "gzip");
        out.set("X-Request-Id", request_id);
        out.keep_alive(keep_alive);
        out.chunked(true);
        ec = co_await write_gzip_bomb(stream, tcp, out, f.gzip_bomb_bytes,
                                      cfg.keep_alive_timeout);
    }
    else if (f.oversized_body_bytes)
    {
        // `{"success":true,"data":{"filler":"xxxx…"}}` when there is room for the frame, so
        // the bytes look like the start of a real envelope to a streaming parser.
        static constexpr std::string_view head = R"({"success":true,"data":{"filler":")";
        static constexpr std::string_view tail = R"("}})";
        const std::size_t total = f.oversized_body_bytes;
        const bool framed = total >= head.size() + tail.size();
        auto fill = [total, framed](std::size_t offset, char* dst, std::size_t n) {
            std::memset(dst, 'x', n);
            if (!framed)
                return;
            for (std::size_t i = offset; i < std::min(offset + n, head.size()); ++i)
                dst[i - offset] = head[i];
            std::size_t tail_at = total - tail.size();
            for (std::size_t i = std::max(offset, tail_at); i < offset + n; ++i)
                dst[i - offset] = tail[i - tail_at];
        };
        http::response<http::buffer_body> out{std::move(res.base())};
        if (f.chunked)
            out.chunked(true);
        else
            out.content_length(total);
        ec = co_await write_streamed(stream, tcp, out, total, stream_piece_bytes, fill,
                                     cfg.keep_alive_timeout);
    }
    else if (writes_raw(f))
    {
        wire_response w;
        for (int s : f.interim_statuses)
            w.interim.push_back(interim_response(s));
        render_message(res, f, w.head, w.body);
        if (f.truncate_body)
            w.body.resize(w.body.size() / 2);
        else
        {
            if (f.trailing_bytes)
                w.after += *f.trailing_bytes;
            if (f.unsolicited_id && f.unsolicited_delay.count() <= 0)
                w.after += unsolicited_response(*f.unsolicited_id, auth.owner);
        }
        ec = co_await write_wire(c, stream, tcp, w, f);
        if (f.truncate_body)
        {
            drop_connection(tcp);
            co_return false;
        }
        if (!ec && f.unsolicited_id && f.unsolicited_delay.count() > 0)
        {
            bool open = co_await pause(c, f.unsolicited_delay);
            if (!open)
                co_return false;
            // Rendered now: what getInstance would serve at the moment it is sent.
            std::string extra = unsolicited_response(*f.unsolicited_id, auth.owner);
            ec = co_await write_bytes(stream, tcp, extra);
        }
    }
    else if (f.truncate_body)
    {
        res.prepare_payload();
        http::response_serializer<http::string_body> sr{res};
        tcp.expires_after(cfg.keep_alive_timeout);
        auto [hec, hn] = co_await http::async_write_header(stream, sr, nothrow);
        if (!hec)
            co_await asio::async_write(
                stream, asio::buffer(res.body().data(), res.body().size() / 2), nothrow);
        drop_connection(tcp);
        co_return false;
    }
    else if (f.chunked)
    {
        // Several chunks, not one, so the client's chunk reassembly is exercised.
        const std::string& body = res.body();
        std::size_t piece = std::max<std::size_t>(1, (body.size() + 3) / 4);
        http::response<http::buffer_body> out{std::move(res.base())};
        out.chunked(true);
        auto fill = [&body](std::size_t offset, char* dst, std::size_t n) {
            std::memcpy(dst, body.data() + offset, n);
        };
        ec = co_await write_streamed(stream, tcp, out, body.size(), piece, fill,
                                     cfg.keep_alive_timeout);
    }
    else
    {
        res.prepare_payload();
        tcp.expires_after(cfg.keep_alive_timeout);
        auto [wec, wn] = co_await http::async_write(stream, res, nothrow);
        ec = wec;
    }
    if (ec || c.closed)
        co_return false;
    if (f.close_after_response)
    {
        drop_connection(tcp);
        co_return false;
    }
    if (!keep_alive)
    {
        co_await graceful_close(stream, tcp);
        co_return false;
    }
    co_return true;
}

// ---- gateway ------------------------------------------------------------------------------

gateway::gateway(config cfg) : gateway(std::move(cfg), make_test_pki()) {}

gateway::gateway(config cfg, test_pki pki)
    : impl_(std::make_unique<impl>(std::move(cfg), std::move(pki)))
{
}

gateway::gateway(gateway&&) noexcept = default;

gateway& gateway::operator=(gateway&& other) noexcept
{
    if (this != &other)
    {
        if (impl_)
            impl_->stop();
        impl_ = std::move(other.impl_);
    }
    return *this;
}

gateway::~gateway()
{
    if (impl_)
        impl_->stop();
}

void gateway::start() { impl_->start(); }

void gateway::stop() { impl_->stop(); }

unsigned short gateway::port() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->bound_port ? impl_->bound_port : impl_->cfg.port;
}

std::string gateway::url() const
{
    const config& cfg = impl_->cfg;
    bool v6 = cfg.address.find(':') != std::string::npos;
    std::string url = cfg.tls ? "https://" : "http://";
    url += v6 ? "[" + cfg.address + "]" : cfg.address;
    url += ':';
    url += std::to_string(port());
    url += normalise_prefix(cfg.path_prefix);
    return url;
}

const test_pki& gateway::pki() const { return impl_->pki; }

void gateway::add_fault(std::string id, fault f)
{
    if (f.status != 0 && (f.status < 100 || f.status > 599))
        throw std::invalid_argument("gateway-sim: fault status must be 0 or 100..599");
    for (int s : f.interim_statuses)
        if (s < 100 || s > 199)
            throw std::invalid_argument("gateway-sim: interim statuses must be 100..199");
    if (f.times == 0)
        return;
    std::lock_guard lock(impl_->mutex);
    impl_->faults[std::move(id)].push_back(std::move(f));
}

void gateway::clear_faults()
{
    std::lock_guard lock(impl_->mutex);
    impl_->faults.clear();
}

void gateway::set_instance(std::string id, std::string data_json)
{
    std::lock_guard lock(impl_->mutex);
    impl_->instances[std::move(id)] = std::move(data_json);
}

void gateway::set_lifecycle(std::string id, std::vector<lifecycle_step> steps)
{
    for (std::size_t i = 1; i < steps.size(); ++i)
        if (steps[i].at < steps[i - 1].at)
            throw std::invalid_argument("gateway-sim: lifecycle steps must not go back in time");
    script sc;
    sc.merged.reserve(steps.size());
    for (const auto& step : steps)
        sc.merged.push_back(merge(sc.merged.empty() ? instance_state{} : sc.merged.back(),
                                  step.state));
    sc.steps = std::move(steps);
    std::lock_guard lock(impl_->mutex);
    sc.base = std::chrono::steady_clock::now();
    if (sc.steps.empty())
    {
        if (auto it = impl_->scripts.find(id); it != impl_->scripts.end())
            impl_->scripts.erase(it);
    }
    else
        impl_->scripts.insert_or_assign(std::move(id), std::move(sc));
}

void gateway::set_state(std::string id, instance_state state)
{
    std::lock_guard lock(impl_->mutex);
    const auto now = std::chrono::steady_clock::now();
    instance_state merged = merge(impl_->served_state_locked(id, now), state);
    script sc;
    sc.base = now;
    sc.steps.push_back({std::chrono::milliseconds(0), merged});
    sc.merged.push_back(std::move(merged));
    impl_->scripts.insert_or_assign(std::move(id), std::move(sc));
}

std::vector<transition> gateway::transitions_for(std::string_view id) const
{
    std::lock_guard lock(impl_->mutex);
    std::vector<transition> out;
    auto it = impl_->scripts.find(id);
    if (it == impl_->scripts.end())
        return out;
    const script& sc = it->second;
    std::size_t k = sc.passed(std::chrono::steady_clock::now());
    out.reserve(k);
    for (std::size_t i = 0; i < k; ++i)
        out.push_back({i, sc.base + sc.steps[i].at, sc.merged[i]});
    return out;
}

void gateway::set_instance_count(std::size_t n) { impl_->instance_count.store(n); }

void gateway::close_idle_connections() { impl_->close_idle_connections(); }

stats gateway::get_stats() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->counters;
}

void gateway::reset_stats()
{
    std::lock_guard lock(impl_->mutex);
    auto& s = impl_->counters;
    s.connections_accepted = 0;
    s.tls_handshakes = 0;
    s.requests = 0;
    s.max_open_connections = s.open_connections;
    impl_->per_id.clear();
    impl_->per_tag.clear();
    impl_->records.clear();
    impl_->list_count = 0;
}

std::size_t gateway::list_requests() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->list_count;
}

std::size_t gateway::requests_for(std::string_view id) const
{
    std::lock_guard lock(impl_->mutex);
    auto it = impl_->per_id.find(std::string(id));
    return it == impl_->per_id.end() ? 0 : it->second;
}

std::vector<request_record> gateway::recent_requests() const
{
    std::lock_guard lock(impl_->mutex);
    return {impl_->records.begin(), impl_->records.end()};
}

void gateway::set_tokens(std::vector<std::string> tokens)
{
    std::lock_guard lock(impl_->mutex);
    impl_->tokens = std::move(tokens);
}

void gateway::set_token_owners(std::map<std::string, std::string> token_owners)
{
    std::map<std::string, std::string, std::less<>> owners(token_owners.begin(),
                                                           token_owners.end());
    std::lock_guard lock(impl_->mutex);
    impl_->token_owners = std::move(owners);
}

std::map<std::string, std::size_t> gateway::requests_by_token_tag() const
{
    std::lock_guard lock(impl_->mutex);
    return impl_->per_tag;
}

std::string token_tag(std::string_view token)
{
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) != 1 ||
        size < 4)
        throw std::runtime_error("gateway-sim: SHA-256 failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string tag(8, '0');
    for (std::size_t i = 0; i < 4; ++i)
    {
        tag[2 * i] = hex[digest[i] >> 4];
        tag[2 * i + 1] = hex[digest[i] & 0xf];
    }
    return tag;
}

}  // namespace beeos::sim
