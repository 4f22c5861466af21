// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#ifndef BEEOS_GATEWAY_SIM_TEST_PKI_HPP
#define BEEOS_GATEWAY_SIM_TEST_PKI_HPP

#include <string>
#include <string_view>

namespace beeos::sim {

/// Certificates for the simulator, made in memory at run time so that no private key is ever
/// committed and none can expire in the repository. All keys are EC P-256, all signatures
/// SHA-256, every certificate is X.509 v3 and valid from one hour ago to two days from now.
struct test_pki
{
    /// The trust anchor clients should load (`client_options::ca_file`).
    std::string ca_cert_pem;

    /// Signed by `ca_cert_pem`; SAN DNS:localhost, IP:127.0.0.1, IP:::1.
    std::string server_cert_pem;
    std::string server_key_pem;

    /// Signed by `ca_cert_pem`, but its only SAN is DNS:wrong-host.example: hostname
    /// verification against 127.0.0.1 or localhost must fail.
    std::string wrong_host_cert_pem;
    std::string wrong_host_key_pem;

    /// SAN localhost / 127.0.0.1 / ::1, but signed by a second CA that is not `ca_cert_pem`:
    /// chain verification must fail.
    std::string untrusted_cert_pem;
    std::string untrusted_key_pem;
};

/// Makes a fresh CA and the certificates above (a few milliseconds).
/// \throws std::runtime_error carrying OpenSSL's error text on failure.
test_pki make_test_pki();

/// Writes `data` to `path`, replacing the file. Returns false if the file could not be written.
bool write_file(const std::string& path, std::string_view data);

}  // namespace beeos::sim

#endif
