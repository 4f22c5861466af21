// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "tls_context.hpp"

#include <boost/asio/ssl/context.hpp>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <stdexcept>

namespace beeos::detail {

std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& ca_file)
{
    namespace ssl = boost::asio::ssl;
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    SSL_CTX* native = ctx->native_handle();
    SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
    // Renegotiation and compression have no place in a modern API client.
    ctx->set_options(ssl::context::no_compression);
    SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);

    ctx->set_verify_mode(ssl::verify_peer);
    boost::system::error_code ec;
    ctx->set_default_verify_paths(ec);  // a machine without a system store can still use ca_file
    if (!ca_file.empty())
    {
        ctx->load_verify_file(ca_file, ec);
        if (ec)
            throw std::invalid_argument("client_options.ca_file: cannot load PEM trust anchors from '" + ca_file + "': " + ec.message());
    }
    ERR_clear_error();
    return ctx;
}

}  // namespace beeos::detail
