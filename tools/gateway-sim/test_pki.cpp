// Copyright (c) 2026 The beeos authors. Distributed under the Boost Software License, Version 1.0.
#include "test_pki.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fstream>
#include <memory>
#include <stdexcept>

namespace beeos::sim {
namespace {

struct pkey_deleter { void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); } };
struct x509_deleter { void operator()(X509* p) const { X509_free(p); } };
struct bio_deleter { void operator()(BIO* p) const { BIO_free(p); } };
struct bn_deleter { void operator()(BIGNUM* p) const { BN_free(p); } };
struct ext_deleter { void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); } };

using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_deleter>;
using x509_ptr = std::unique_ptr<X509, x509_deleter>;

// Drains OpenSSL's thread-local error queue into the exception, so a failure says which call
// failed and why instead of a bare "failed".
[[noreturn]] void fail(const char* what)
{
    std::string msg = std::string("test_pki: ") + what;
    char buf[256];
    while (unsigned long e = ERR_get_error())
    {
        ERR_error_string_n(e, buf, sizeof buf);
        msg += ": ";
        msg += buf;
    }
    throw std::runtime_error(msg);
}

void check(int ok, const char* what)
{
    if (ok != 1)
        fail(what);
}

pkey_ptr make_key()
{
    pkey_ptr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key)
        fail("EC P-256 key generation");
    return key;
}

void add_ext(X509* cert, X509V3_CTX& ctx, int nid, const char* value)
{
    std::unique_ptr<X509_EXTENSION, ext_deleter> ext(
        X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value));
    if (!ext)
        fail(value);
    check(X509_add_ext(cert, ext.get(), -1), "X509_add_ext");
}

struct subject
{
    const char* common_name;
    bool is_ca;
    const char* san;  // nullptr for CAs
};

// Issues a certificate for `key`. With `issuer == nullptr` it is self-signed by `key`.
x509_ptr issue(const subject& s, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key)
{
    x509_ptr cert(X509_new());
    if (!cert)
        fail("X509_new");
    check(X509_set_version(cert.get(), X509_VERSION_3), "X509_set_version");

    // Random serials: a client that caches by issuer+serial must not confuse two runs' certs.
    std::unique_ptr<BIGNUM, bn_deleter> serial(BN_new());
    if (!serial)
        fail("BN_new");
    check(BN_rand(serial.get(), 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), "BN_rand");
    if (!BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())))
        fail("BN_to_ASN1_INTEGER");

    // Back-dated by an hour so that clock skew between the test and the server never matters.
    if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
        !X509_gmtime_adj(X509_getm_notAfter(cert.get()), 2L * 24 * 3600))
        fail("X509_gmtime_adj");

    X509_NAME* name = X509_get_subject_name(cert.get());
    check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>("beeos gateway-sim"),
                                     -1, -1, 0),
          "subject O");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(s.common_name), -1,
                                     -1, 0),
          "subject CN");
    check(X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name),
          "X509_set_issuer_name");
    check(X509_set_pubkey(cert.get(), key), "X509_set_pubkey");

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
    if (s.is_ca)
    {
        add_ext(cert.get(), ctx, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(cert.get(), ctx, NID_key_usage, "critical,keyCertSign,cRLSign");
        add_ext(cert.get(), ctx, NID_subject_key_identifier, "hash");
    }
    else
    {
        add_ext(cert.get(), ctx, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(cert.get(), ctx, NID_key_usage, "critical,digitalSignature");
        add_ext(cert.get(), ctx, NID_ext_key_usage, "serverAuth");
        add_ext(cert.get(), ctx, NID_subject_key_identifier, "hash");
        add_ext(cert.get(), ctx, NID_authority_key_identifier, "keyid:always");
        add_ext(cert.get(), ctx, NID_subject_alt_name, s.san);
    }

    if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0)
        fail("X509_sign");
    return cert;
}

std::string read_bio(BIO* bio)
{
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

std::string to_pem(X509* cert)
{
    std::unique_ptr<BIO, bio_deleter> bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
        fail("PEM_write_bio_X509");
    return read_bio(bio.get());
}

std::string to_pem(EVP_PKEY* key)
{
    std::unique_ptr<BIO, bio_deleter> bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        fail("PEM_write_bio_PrivateKey");
    return read_bio(bio.get());
}

constexpr const char* localhost_san = "DNS:localhost,IP:127.0.0.1,IP:::1";

}  // namespace

test_pki make_test_pki()
{
    ERR_clear_error();
    test_pki pki;

    pkey_ptr ca_key = make_key();
    x509_ptr ca = issue({"beeos gateway-sim test CA", true, nullptr}, ca_key.get(), nullptr,
                        nullptr);
    pki.ca_cert_pem = to_pem(ca.get());

    pkey_ptr server_key = make_key();
    x509_ptr server =
        issue({"localhost", false, localhost_san}, server_key.get(), ca.get(), ca_key.get());
    pki.server_cert_pem = to_pem(server.get());
    pki.server_key_pem = to_pem(server_key.get());

    pkey_ptr wrong_key = make_key();
    x509_ptr wrong = issue({"wrong-host.example", false, "DNS:wrong-host.example"},
                           wrong_key.get(), ca.get(), ca_key.get());
    pki.wrong_host_cert_pem = to_pem(wrong.get());
    pki.wrong_host_key_pem = to_pem(wrong_key.get());

    // Same names as the good server certificate, so the only thing wrong is the issuer.
    pkey_ptr other_ca_key = make_key();
    x509_ptr other_ca = issue({"beeos gateway-sim untrusted CA", true, nullptr},
                              other_ca_key.get(), nullptr, nullptr);
    pkey_ptr untrusted_key = make_key();
    x509_ptr untrusted = issue({"localhost", false, localhost_san}, untrusted_key.get(),
                               other_ca.get(), other_ca_key.get());
    pki.untrusted_cert_pem = to_pem(untrusted.get());
    pki.untrusted_key_pem = to_pem(untrusted_key.get());

    return pki;
}

bool write_file(const std::string& path, std::string_view data)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.close();
    return static_cast<bool>(out);
}

}  // namespace beeos::sim
