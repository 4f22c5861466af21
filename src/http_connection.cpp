// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
//
// The only translation unit that instantiates Beast's stream and parser templates; the rest of
// the library sees the small `http_connection` interface. Keeps a clean build cheap on 2 cores.
#include "http_connection.hpp"

#include "gzip_inflater.hpp"
#include "host_resolver.hpp"
#include "http_exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/rfc7230.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <optional>

#include <poll.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

namespace beeos::detail {
namespace {

using plain_stream = beast::tcp_stream;
using tls_stream = beast::ssl_stream<beast::tcp_stream>;

std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; }

bool is_abort(const error_code& ec) { return ec == asio::error::operation_aborted; }

std::string verify_failure_text(SSL* ssl)
{
    long result = SSL_get_verify_result(ssl);
    if (result == X509_V_OK)
        return {};
    return std::string("certificate verification failed: ") + X509_verify_cert_error_string(result);
}

// The wait for one lookup of host_resolver: its outcome, posted to the connection's strand,
// and the timer that bounds it. The timer is how the wait ends either way: the lookup's
// completion cancels it, the deadline expires it.
struct resolve_wait
{
    explicit resolve_wait(const asio::any_io_executor& ex, clock_type::time_point deadline) : timer(ex, deadline) {}
    asio::steady_timer timer;
    bool done = false;
    error_code ec;
    host_resolver::results_type results;
};

template <class Stream>
class basic_connection final : public http_connection
{
public:
    static constexpr bool is_tls = std::is_same_v<Stream, tls_stream>;

    basic_connection(const asio::any_io_executor& ex, std::shared_ptr<const connection_settings> settings)
        : settings_(std::move(settings)), stream_(make_stream(ex, *settings_))
    {
        if constexpr (is_tls)
        {
            // Asio sets SSL_MODE_RELEASE_BUFFERS, which frees OpenSSL's record buffers whenever
            // they drain and allocates them again for the next record: several malloc/free
            // pairs per exchange, to save ~34 KB per idle connection. Keep them.
            SSL_clear_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        }
        // Beast reads into what the buffer has room for, from 512 bytes up. Room for a whole
        // TLS record (16 KiB) lets one SSL_read take a typical response instead of five or six
        // (each one a call into OpenSSL with its error-queue clearing, about 400 instructions).
        buffer_.reserve(read_buffer_bytes);
        limits_.max_header_bytes = settings_->max_header_bytes;
        limits_.max_body_bytes = settings_->max_body_bytes;
        where_ = settings_->ep.host + ":" + settings_->ep.port;
    }

    static constexpr std::size_t read_buffer_bytes = std::size_t{16} * 1024;

    asio::awaitable<void> async_connect(clock_type::time_point deadline, error_code& ec, error_info& info) override
    {
        const endpoint& ep = settings_->ep;
        const auto& proxy = settings_->proxy;
        // Through a proxy the TCP connection goes to the proxy; TLS still ends at the API.
        const std::string& host = proxy ? proxy->host : ep.host;
        const std::string& port = proxy ? proxy->port : ep.port;
        const std::string peer = proxy ? "the proxy " + proxy->where : where_;
        auto now = clock_type::now();
        auto connect_deadline = now + settings_->connect_timeout;
        bool call_deadline_first = deadline < connect_deadline;
        if (call_deadline_first)
            connect_deadline = deadline;
        auto timeout_detail = [&](std::string_view phase, const std::string& whom) {
            return std::string(phase) + " " + whom + " did not finish within " +
                   (call_deadline_first ? "the request_timeout" : "connect_timeout (" + ms_text(settings_->connect_timeout) + ")");
        };

        auto& tcp = beast::get_lowest_layer(stream_);
        auto ex = co_await asio::this_coro::executor;

        // Resolve on every new connection so a DNS change is picked up after failures. The
        // lookup runs off the io_context and is abandoned at the deadline or on cancellation.
        auto wait = std::make_shared<resolve_wait>(ex, connect_deadline);
        host_resolver::ticket ticket = settings_->resolver->resolve(
            host, port, ex, [weak = std::weak_ptr<resolve_wait>(wait)](error_code resolve_ec, host_resolver::results_type results) {
                if (auto w = weak.lock())
                {
                    w->done = true;
                    w->ec = resolve_ec;
                    w->results = std::move(results);
                    w->timer.cancel();
                }
            });
        error_code wait_ec;
        co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
        ticket.reset();
        if (!wait->done)
        {
            const bool aborted = is_abort(wait_ec);
            ec = aborted ? errc::cancelled : errc::timeout;
            info.detail = aborted ? "cancelled while resolving the host" : timeout_detail("resolving", host + ":" + port);
            co_return;
        }
        if (wait->ec || wait->results.empty())
        {
            ec = errc::connection;
            info.cause = wait->ec;
            info.detail = "could not resolve " + host;
            co_return;
        }
        auto addresses = std::move(wait->results);
        wait.reset();
        if (co_await cancelled_meanwhile())
        {
            ec = errc::cancelled;
            info.detail = "cancelled after resolving the host";
            co_return;
        }

        error_code io_ec;
        co_await connect_staggered(tcp.socket(), addresses, connect_deadline, io_ec);
        if (io_ec)
        {
            if (io_ec == asio::error::timed_out)
                io_ec = beast::error::timeout;
            classify_io_failure(io_ec, "connecting to", peer, timeout_detail("connecting to", peer), ec, info);
            co_return;
        }
        tcp.socket().set_option(asio::ip::tcp::no_delay(true), io_ec);
        tcp.expires_at(connect_deadline);
        if (co_await cancelled_meanwhile())
        {
            ec = errc::cancelled;
            info.detail = "cancelled after connecting to " + peer;
            co_return;
        }

        if (proxy && is_tls)
        {
            co_await open_tunnel(*proxy, ec, info, timeout_detail("opening a tunnel through", peer));
            if (ec)
                co_return;
            if (co_await cancelled_meanwhile())
            {
                ec = errc::cancelled;
                info.detail = "cancelled after opening the tunnel";
                co_return;
            }
        }

        if constexpr (is_tls)
        {
            SSL* ssl = stream_.native_handle();
            bool verify_set = true;
            if (!ep.host_is_ip)
            {
                // SNI carries host names only (RFC 6066 forbids IP literals).
                verify_set = SSL_set_tlsext_host_name(ssl, ep.host.c_str()) == 1;
                SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                verify_set = verify_set && SSL_set1_host(ssl, ep.host.c_str()) == 1;
            }
            else
            {
                verify_set = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ep.host.c_str()) == 1;
            }
            if (!verify_set)
            {
                // Without the name to check, verification would accept any trusted certificate.
                ERR_clear_error();
                ec = errc::tls;
                info.detail = "could not set up host name verification for " + ep.host + "; not connecting";
                co_return;
            }
            co_await stream_.async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, io_ec));
            if (!io_ec && co_await cancelled_meanwhile())
                io_ec = asio::error::operation_aborted;
            if (io_ec)
            {
                if (is_abort(io_ec) || io_ec == beast::error::timeout)
                {
                    classify_io_failure(io_ec, "the TLS handshake with", where_, timeout_detail("the TLS handshake with", where_), ec, info);
                    co_return;
                }
                std::string verify = verify_failure_text(ssl);
                // A certificate that fails verification will fail again: say so by its own kind.
                ec = verify.empty() ? errc::tls : errc::certificate;
                info.cause = io_ec;
                info.detail = "TLS handshake with " + where_ + " failed" + (verify.empty() ? "" : ": " + verify);
                co_return;
            }
        }
        ec = {};
    }

    asio::awaitable<void> async_exchange(
        std::string_view request,
        clock_type::time_point deadline,
        http_response& res,
        error_code& ec,
        error_info& info,
        exchange_failure& failure
    ) override
    {
        reusable_ = false;
        failure = {};
        beast::get_lowest_layer(stream_).expires_at(deadline);
        exchange_report report;
        co_await async_exchange_over(stream_, buffer_, parser_, request, limits_, res, report);
        failure.response_started = report.response_started;
        reusable_ = classify_exchange(report, buffer_.size(), limits_, where_, res, ec, info);
        res.wire_bytes = report.bytes_read;
        if (!ec && !res.content_encoding.empty())
            decode_content(res, ec, info);
        if (ec)
        {
            // Whatever is left of this response must never be read as the next call's answer.
            buffer_.clear();
            co_return;
        }
        ++completed_;
    }

    void close() noexcept override
    {
        reusable_ = false;
        error_code ignored;
        beast::get_lowest_layer(stream_).socket().close(ignored);
    }

    asio::awaitable<void> async_close_gracefully(clock_type::time_point deadline) override
    {
        reusable_ = false;
        auto& tcp = beast::get_lowest_layer(stream_);
        if constexpr (is_tls)
        {
            tcp.expires_at(deadline);
            error_code ignored;
            // The peer may answer our close_notify with its own or just close: both end here,
            // and stream_truncated is the expected outcome of the latter, not a failure.
            co_await stream_.async_shutdown(asio::redirect_error(asio::use_awaitable, ignored));
        }
        close();
    }

    bool unusable_while_idle() const noexcept override
    {
        // An idle HTTP/1.1 connection has nothing to read: readability means EOF, a reset,
        // a close_notify or junk, and none of those can carry our next request.
        auto& socket = const_cast<Stream&>(stream_);
        int fd = beast::get_lowest_layer(socket).socket().native_handle();
        if (fd < 0)
            return true;
        pollfd p{fd, POLLIN | POLLRDHUP, 0};
        int n = ::poll(&p, 1, 0);
        return n != 0;
    }

private:
    // Happy Eyeballs (RFC 8305, section 5): the addresses are tried in turn, families
    // interleaved, each next one `attempt_delay` after the previous started (at once when it
    // failed), while the earlier ones go on; the first to connect wins and the rest are
    // closed. So a dead first address costs 250 ms, not the whole connect_timeout. Ends by
    // `deadline`, or on cancellation of the calling coroutine.
    static constexpr std::chrono::milliseconds attempt_delay{250};

    struct race
    {
        race(const asio::any_io_executor& strand, clock_type::time_point deadline) : done_timer(strand, deadline), stagger(strand) {}
        asio::steady_timer done_timer;  // the coroutine waits on it; cancelled when the race ends
        asio::steady_timer stagger;
        std::vector<std::unique_ptr<asio::ip::tcp::socket>> sockets;
        std::vector<asio::ip::tcp::endpoint> order;
        std::size_t next = 0;
        std::size_t pending = 0;
        std::optional<std::size_t> winner;
        bool over = false;
        error_code last;
    };

    static std::vector<asio::ip::tcp::endpoint> interleave(const std::vector<asio::ip::tcp::endpoint>& in)
    {
        std::vector<asio::ip::tcp::endpoint> v6, v4, out;
        for (const auto& e : in)
            (e.address().is_v6() ? v6 : v4).push_back(e);
        const bool v6_first = !in.empty() && in.front().address().is_v6();
        auto& a = v6_first ? v6 : v4;
        auto& b = v6_first ? v4 : v6;
        for (std::size_t i = 0; i < std::max(a.size(), b.size()); ++i)
        {
            if (i < a.size())
                out.push_back(a[i]);
            if (i < b.size())
                out.push_back(b[i]);
        }
        return out;
    }

    static void start_next(const std::shared_ptr<race>& r, const asio::any_io_executor& socket_ex)
    {
        if (r->over || r->next >= r->order.size())
            return;
        const std::size_t i = r->next++;
        r->sockets.push_back(std::make_unique<asio::ip::tcp::socket>(socket_ex));
        ++r->pending;
        r->sockets[i]->async_connect(r->order[i], asio::bind_executor(r->done_timer.get_executor(), [r, i, socket_ex](error_code connect_ec) {
            --r->pending;
            if (r->over)
                return;
            if (!connect_ec)
            {
                r->over = true;
                r->winner = i;
                r->stagger.cancel();
                for (std::size_t k = 0; k < r->sockets.size(); ++k)
                    if (k != i)
                    {
                        error_code ignored;
                        r->sockets[k]->close(ignored);
                    }
                r->done_timer.cancel();
                return;
            }
            r->last = connect_ec;
            if (r->next < r->order.size())
            {
                start_next(r, socket_ex);  // a failure frees the turn of the next address at once
            }
            else if (r->pending == 0)
            {
                r->over = true;
                r->stagger.cancel();
                r->done_timer.cancel();
            }
        }));
        if (r->next < r->order.size())
        {
            r->stagger.expires_after(attempt_delay);
            r->stagger.async_wait([r, socket_ex](error_code wait_ec) {
                if (!wait_ec)
                    start_next(r, socket_ex);
            });
        }
    }

    static asio::awaitable<void> connect_staggered(asio::ip::tcp::socket& out, const std::vector<asio::ip::tcp::endpoint>& addresses,
                                                   clock_type::time_point deadline, error_code& ec)
    {
        auto strand = co_await asio::this_coro::executor;
        auto r = std::make_shared<race>(strand, deadline);
        r->order = interleave(addresses);
        start_next(r, out.get_executor());
        error_code wait_ec;
        co_await r->done_timer.async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
        if (!r->over)
        {
            // The deadline or a cancellation: every attempt still pending ends here.
            r->over = true;
            r->stagger.cancel();
            for (auto& s : r->sockets)
            {
                error_code ignored;
                s->close(ignored);
            }
            ec = is_abort(wait_ec) ? asio::error::operation_aborted : asio::error::timed_out;
            co_return;
        }
        if (!r->winner)
        {
            ec = r->last ? r->last : asio::error::host_unreachable;
            co_return;
        }
        out = std::move(*r->sockets[*r->winner]);
        ec = {};
    }

    // CONNECT host:port through the proxy (RFC 9110 section 9.3.6); TLS to the API follows
    // inside the tunnel. The bearer token is not sent here: only the proxy's own credentials.
    asio::awaitable<void> open_tunnel(const proxy_endpoint& proxy, error_code& ec, error_info& info, std::string timeout_detail)
    {
        const endpoint& ep = settings_->ep;
        const std::string authority = (ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host) + ":" + ep.port;
        std::string request = "CONNECT " + authority + " HTTP/1.1\r\nHost: " + authority + "\r\n";
        if (!proxy.authorization.empty())
            request += "Proxy-Authorization: " + proxy.authorization + "\r\n";
        request += "User-Agent: " + settings_->user_agent + "\r\n\r\n";
        auto& tcp = beast::get_lowest_layer(stream_);
        error_code io_ec;
        co_await asio::async_write(tcp, asio::buffer(request), asio::redirect_error(asio::use_awaitable, io_ec));
        http_response answer;
        auto& parser = parser_.emplace(answer);
        parser.skip(true);  // a 2xx to CONNECT has no body; any other answer ends the connection
        parser.header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(settings_->max_header_bytes, UINT32_MAX)));
        if (!io_ec)
            co_await http::async_read_header(tcp, buffer_, parser, asio::redirect_error(asio::use_awaitable, io_ec));
        const std::string whom = "the proxy " + proxy.where;
        if (io_ec)
        {
            classify_io_failure(io_ec, "opening a tunnel through", whom, std::move(timeout_detail), ec, info);
            if (ec == errc::connection)
            {
                ec = errc::proxy;
                info.detail = whom + " closed the connection or failed while opening the tunnel to " + authority;
            }
            co_return;
        }
        const int status = parser.status();
        if (status < 200 || status > 299)
        {
            ec = errc::proxy;
            info.http_status = status;
            info.detail = whom + " refused the tunnel to " + authority + " with HTTP " + std::to_string(status) +
                          (status == 407 || status == 401 ? " (proxy authentication required: check the proxy URL's user and password)" : "") +
                          "; the API was not reached";
            co_return;
        }
        if (buffer_.size() != 0)
        {
            ec = errc::proxy;
            info.detail = whom + " sent bytes after its answer to CONNECT; not trusting the tunnel";
            co_return;
        }
        ec = {};
    }

    // The body of a response with a Content-Encoding: inflated when gzip (the one coding
    // asked for), an error otherwise. The framing was fine, so the connection stays usable.
    void decode_content(http_response& res, error_code& ec, error_info& info)
    {
        const std::string_view coding = res.content_encoding;
        if (beast::iequals(coding, "identity"))
            return;
        if (!settings_->accept_gzip || !(beast::iequals(coding, "gzip") || beast::iequals(coding, "x-gzip")))
        {
            ec = errc::protocol;
            info.detail = "the response has Content-Encoding ";
            info.detail += coding.substr(0, 40);
            info.detail += ", which was not asked for";
            res.body.clear();
            return;
        }
        if (!inflater_)
            inflater_.emplace(settings_->max_body_bytes);
        else
            inflater_->reset();
        std::string plain;
        auto status = inflater_->feed(res.body, plain);
        if (status == inflate_status::need_more || status == inflate_status::done)
            status = inflater_->finish();
        if (status != inflate_status::done)
        {
            if (status == inflate_status::too_large)
            {
                ec = errc::body_too_large;
                info.detail = "the gzip body inflates to more than max_body_bytes (" + std::to_string(settings_->max_body_bytes) + " bytes)";
            }
            else
            {
                ec = errc::protocol;
                info.detail = std::string("the gzip body is ") + to_string(status) + " (" + std::to_string(res.body.size()) + " bytes on the wire)";
            }
            res.body.clear();
            return;
        }
        res.body = std::move(plain);
    }

    static Stream make_stream(const asio::any_io_executor& ex, const connection_settings& s)
    {
        if constexpr (is_tls)
            return Stream(ex, *s.tls);
        else
            return Stream(ex);
    }

    std::shared_ptr<const connection_settings> settings_;
    Stream stream_;
    beast::flat_buffer buffer_;
    std::optional<response_reader> parser_;
    std::optional<gzip_inflater> inflater_;  // made at the first gzip response, then reused
    exchange_limits limits_;
    std::string where_;  // "host:port", for messages
};

}  // namespace

std::unique_ptr<http_connection> make_http_connection(
    const asio::any_io_executor& ex,
    std::shared_ptr<const connection_settings> settings
)
{
    if (settings->tls)
        return std::make_unique<basic_connection<tls_stream>>(ex, std::move(settings));
    return std::make_unique<basic_connection<plain_stream>>(ex, std::move(settings));
}

}  // namespace beeos::detail
