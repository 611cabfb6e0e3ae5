// TLS routing through a Teleport Proxy.
#include "teleport/alpn_tunnel.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include <grpcpp/create_channel_posix.h>
#include <grpcpp/support/channel_arguments.h>

#include "common/log.h"
#include "teleport/grpc_channel.h"

namespace tmsteams::teleport {

namespace {

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

std::string opensslError() {
    unsigned long e = ERR_get_error();
    if (e == 0) {
        return "unknown TLS error";
    }
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

absl::StatusOr<int> dialTcp(const std::string& addr) {
    auto colon = addr.rfind(':');
    if (colon == std::string::npos) {
        return absl::InvalidArgumentError("address " + addr + " has no port");
    }
    std::string host = addr.substr(0, colon);
    std::string port = addr.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        return absl::UnavailableError("cannot resolve " + host + ": " + gai_strerror(rc));
    }
    int fd = -1;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(res);
    if (fd < 0) {
        return absl::UnavailableError("cannot connect to " + addr + ": " + std::strerror(errno));
    }
    return fd;
}

// Copies between the TLS session and grpc++'s end of the socketpair until either side closes.
void pump(SSL* ssl, int tcp, int local) {
    char buf[16384];
    for (;;) {
        if (SSL_pending(ssl) == 0) {
            pollfd fds[2] = {{tcp, POLLIN, 0}, {local, POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = ::read(local, buf, sizeof buf);
                if (n <= 0) {
                    break;
                }
                if (SSL_write(ssl, buf, static_cast<int>(n)) <= 0) {
                    break;
                }
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
        }
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        ssize_t off = 0;
        while (off < n) {
            ssize_t w = ::write(local, buf + off, static_cast<size_t>(n - off));
            if (w <= 0) {
                goto done;
            }
            off += w;
        }
    }
done:
    SSL_shutdown(ssl);
    SSL_free(ssl);
    ::close(tcp);
    ::close(local);
}

}  // namespace

std::string authAlpnProtocol(const std::string& clusterName) {
    static const char* hex = "0123456789abcdef";
    std::string encoded;
    for (unsigned char c : clusterName) {
        encoded += hex[c >> 4];
        encoded += hex[c & 15];
    }
    return "teleport-auth@" + encoded + ".teleport.cluster.local";
}

absl::StatusOr<std::string> clusterNameFromCredentials(const TlsCredentials& creds) {
    if (creds.caPems.empty()) {
        return absl::InvalidArgumentError("the credentials hold no cluster CA");
    }
    auto ca = inspectCertificate(creds.caPems.front());
    if (!ca.ok()) {
        return ca.status();
    }
    if (ca->commonName.empty()) {
        return absl::InvalidArgumentError("the cluster CA certificate has no common name");
    }
    return ca->commonName;
}

bool looksLikeProxyAddress(const std::string& addr) {
    auto colon = addr.rfind(':');
    std::string port = colon == std::string::npos ? "" : addr.substr(colon + 1);
    return port == "443" || port == "3080";
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> dialAuthThroughProxy(const std::string& proxyAddr,
                                                                    const TlsCredentials& creds,
                                                                    const std::string& clusterName) {
    SslCtx ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    {
        std::unique_ptr<BIO, decltype(&BIO_free)> bio(
            BIO_new_mem_buf(creds.certPem.data(), static_cast<int>(creds.certPem.size())), BIO_free);
        std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
        std::unique_ptr<BIO, decltype(&BIO_free)> kbio(
            BIO_new_mem_buf(creds.privateKeyPem.data(), static_cast<int>(creds.privateKeyPem.size())), BIO_free);
        std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr),
                                                                EVP_PKEY_free);
        if (!cert || !key || SSL_CTX_use_certificate(ctx.get(), cert.get()) != 1 ||
            SSL_CTX_use_PrivateKey(ctx.get(), key.get()) != 1) {
            return absl::InvalidArgumentError("cannot use the client certificate and key: " + opensslError());
        }
    }
    X509_STORE* store = SSL_CTX_get_cert_store(ctx.get());
    std::string bundle = creds.caBundle();
    std::unique_ptr<BIO, decltype(&BIO_free)> cabio(BIO_new_mem_buf(bundle.data(), static_cast<int>(bundle.size())), BIO_free);
    int added = 0;
    while (X509* ca = PEM_read_bio_X509(cabio.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(store, ca);
        X509_free(ca);
        ++added;
    }
    ERR_clear_error();
    if (added == 0) {
        return absl::InvalidArgumentError("the credentials hold no usable CA certificate");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);

    auto tcp = dialTcp(proxyAddr);
    if (!tcp.ok()) {
        return tcp.status();
    }
    SSL* ssl = SSL_new(ctx.get());
    SSL_set_fd(ssl, *tcp);
    SSL_set_tlsext_host_name(ssl, AuthServerName);
    SSL_set1_host(ssl, AuthServerName);
    std::string routed = authAlpnProtocol(clusterName);
    std::string alpn;
    for (const std::string& p : {routed, std::string("h2")}) {
        alpn += static_cast<char>(p.size());
        alpn += p;
    }
    SSL_set_alpn_protos(ssl, reinterpret_cast<const unsigned char*>(alpn.data()), static_cast<unsigned>(alpn.size()));
    if (SSL_connect(ssl) != 1) {
        std::string err = opensslError();
        long verify = SSL_get_verify_result(ssl);
        SSL_free(ssl);
        ::close(*tcp);
        if (verify != X509_V_OK) {
            return absl::UnavailableError("TLS through the proxy " + proxyAddr +
                                          ": the server certificate is not trusted: " + X509_verify_cert_error_string(verify));
        }
        return absl::UnavailableError("TLS through the proxy " + proxyAddr + " failed: " + err);
    }
    const unsigned char* selected = nullptr;
    unsigned int selectedLen = 0;
    SSL_get0_alpn_selected(ssl, &selected, &selectedLen);
    if (std::string(reinterpret_cast<const char*>(selected), selectedLen) != "h2") {
        SSL_free(ssl);
        ::close(*tcp);
        return absl::UnavailableError("the proxy " + proxyAddr + " did not route to the Auth Service (no h2 after TLS)");
    }
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        SSL_free(ssl);
        ::close(*tcp);
        return absl::InternalError("socketpair failed");
    }
    std::thread(pump, ssl, *tcp, pair[1]).detach();
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    return grpc::CreateCustomInsecureChannelFromFd("teleport-auth-via-proxy", pair[0], args);
}

}  // namespace tmsteams::teleport
