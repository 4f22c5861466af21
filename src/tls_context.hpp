// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_SRC_TLS_CONTEXT_HPP
#define BEEOS_SRC_TLS_CONTEXT_HPP

#include <memory>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace beeos::detail {

/// The one TLS context of a client: TLS 1.2 or later, peer verification on, trust anchors from
/// the system store plus `ca_file`. Host-name checks and SNI are set per connection.
/// \throws std::invalid_argument when `ca_file` cannot be loaded (the message names the file,
/// never its content).
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& ca_file);

}  // namespace beeos::detail

#endif
