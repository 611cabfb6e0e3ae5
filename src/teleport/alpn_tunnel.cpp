// TLS routing through a Teleport Proxy.
#include "teleport/alpn_tunnel.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include <grpcpp/create_channel_posix.h>
#include <grpcpp/support/channel_arguments.h>

#include "common/log.h"
#include "teleport/conn_upgrade.h"
#include "teleport/grpc_channel.h"
#include "teleport/web_tls.h"

namespace tmsteams::teleport {

namespace {

using SslCtx = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

// The pump thread of one tunnel, stopped and joined when the tunnel goes.
struct Tunnel {
    int stopFd = -1;
    std::thread thread;
    ~Tunnel() {
        if (stopFd >= 0) {
            const uint64_t one = 1;
            (void)!::write(stopFd, &one, sizeof one);
        }
        if (thread.joinable()) {
            thread.join();
        }
        if (stopFd >= 0) {
            ::close(stopFd);
        }
    }
};

// A channel and the tunnel under it; the channel is released first.
struct TunnelledChannel {
    Tunnel tunnel;
    std::shared_ptr<grpc::Channel> channel;
};

// Copies between the TLS session with Auth and grpc++'s end of the socketpair until either side
// closes or `stopFd` (an eventfd) is signalled; owns the session and `local`.
void pump(std::unique_ptr<Transport> transport, SslPtr ssl, int local, int stopFd) {
    char buf[16384];
    for (;;) {
        if (SSL_pending(ssl.get()) == 0 && !transport->hasBuffered()) {
            pollfd fds[3] = {{transport->fd(), POLLIN, 0}, {local, POLLIN, 0}, {stopFd, POLLIN, 0}};
            if (::poll(fds, 3, -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            if (fds[2].revents) {
                break;  // the channel this tunnel carries is gone
            }
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = ::read(local, buf, sizeof buf);
                if (n <= 0 || SSL_write(ssl.get(), buf, static_cast<int>(n)) <= 0) {
                    break;
                }
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
        }
        int n = SSL_read(ssl.get(), buf, sizeof buf);
        if (n <= 0) {
            if (SSL_get_error(ssl.get(), n) == SSL_ERROR_WANT_READ) {
                continue;  // a control frame, or a TLS record with no data: wait again
            }
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
    SSL_shutdown(ssl.get());
    ::close(local);
}

std::string x509Field(X509_NAME* name, int nid) {
    int i = X509_NAME_get_index_by_NID(name, nid, -1);
    if (i < 0) {
        return "";
    }
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    unsigned char* utf8 = nullptr;
    int n = ASN1_STRING_to_UTF8(&utf8, s);
    if (n < 0) {
        return "";
    }
    std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
    OPENSSL_free(utf8);
    return out;
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
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(creds.certPem.data(), static_cast<int>(creds.certPem.size())), BIO_free);
    std::unique_ptr<X509, decltype(&X509_free)> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr),
                                                     X509_free);
    ERR_clear_error();
    if (!cert) {
        return absl::InvalidArgumentError("the credentials' certificate cannot be read");
    }
    X509_NAME* issuer = X509_get_issuer_name(cert.get());
    std::string name = x509Field(issuer, NID_organizationName);
    if (name.empty()) {
        name = x509Field(issuer, NID_commonName);
    }
    if (name.empty()) {
        return absl::InvalidArgumentError("the credentials' certificate names no issuing cluster");
    }
    return name;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> dialAuthThroughProxy(const std::string& proxyAddr,
                                                                    const TlsCredentials& creds,
                                                                    const std::string& clusterName, bool upgrade,
                                                                    std::chrono::milliseconds timeout) {
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
    if (trustCertificates(ctx.get(), creds.caBundle()) == 0) {
        return absl::InvalidArgumentError("the credentials hold no usable CA certificate");
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    // A TLS record without data (a session ticket) must not block SSL_read: the pump waits.
    SSL_CTX_clear_mode(ctx.get(), SSL_MODE_AUTO_RETRY);

    absl::StatusOr<std::unique_ptr<Transport>> transport = absl::UnknownError("");
    if (upgrade) {
        transport = openUpgradedTransport(proxyAddr, timeout);
    } else if (auto sock = dialTcp(proxyAddr, timeout); sock.ok()) {
        transport = rawTransport(std::move(*sock));
    } else {
        transport = sock.status();
    }
    if (!transport.ok()) {
        return transport.status();
    }
    SslPtr ssl(SSL_new(ctx.get()));
    BIO* bio = transportBio(transport->get());
    SSL_set_bio(ssl.get(), bio, bio);
    SSL_set_tlsext_host_name(ssl.get(), AuthServerName);
    SSL_set1_host(ssl.get(), AuthServerName);
    const std::string alpn = alpnWire({authAlpnProtocol(clusterName), "h2"});
    SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(alpn.data()), static_cast<unsigned>(alpn.size()));
    const std::string via = upgrade ? "through the proxy " + proxyAddr + " (upgraded connection)"
                                    : "through the proxy " + proxyAddr;
    int handshake = 0;
    while ((handshake = SSL_connect(ssl.get())) != 1 && SSL_get_error(ssl.get(), handshake) == SSL_ERROR_WANT_READ) {
        pollfd p{(*transport)->fd(), POLLIN, 0};  // the Proxy pinged mid-handshake: wait for more
        if (!(*transport)->hasBuffered() && ::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
            break;
        }
    }
    if (handshake != 1) {
        std::string err = opensslError();
        long verify = SSL_get_verify_result(ssl.get());
        if (verify != X509_V_OK) {
            return absl::UnavailableError(
                "TLS with the Auth Service " + via + ": the server certificate is not trusted (" +
                X509_verify_cert_error_string(verify) +
                "): it is not the cluster's Auth Service, or a load balancer terminates TLS in front of the proxy "
                "(set TELEPORT_TLS_ROUTING_CONN_UPGRADE=true)");
        }
        return absl::UnavailableError("TLS with the Auth Service " + via + " failed: " + err +
                                      " (the proxy closes connections for clusters it does not serve: is \"" +
                                      clusterName + "\" the cluster of this identity?)");
    }
    const unsigned char* selected = nullptr;
    unsigned int selectedLen = 0;
    SSL_get0_alpn_selected(ssl.get(), &selected, &selectedLen);
    if (std::string(reinterpret_cast<const char*>(selected), selectedLen) != "h2") {
        return absl::UnavailableError("the proxy " + proxyAddr + " did not route to the Auth Service (no h2 after TLS)");
    }
    clearIoTimeouts((*transport)->fd());
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
        return absl::InternalError("socketpair failed");
    }
    // The tunnel lives exactly as long as the channel it carries: the channel handed out shares
    // ownership of both, and dropping the last reference stops the pump and joins it.
    auto carried = std::make_shared<TunnelledChannel>();
    carried->tunnel.stopFd = ::eventfd(0, EFD_CLOEXEC);
    if (carried->tunnel.stopFd < 0) {
        ::close(pair[0]);
        ::close(pair[1]);
        return absl::InternalError("eventfd failed");
    }
    carried->tunnel.thread = std::thread(pump, std::move(*transport), std::move(ssl), pair[1], carried->tunnel.stopFd);
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    carried->channel = grpc::CreateCustomInsecureChannelFromFd("teleport-auth-via-proxy", pair[0], args);
    return std::shared_ptr<grpc::Channel>(carried, carried->channel.get());
}

}  // namespace tmsteams::teleport
