// TLS to a Teleport Proxy's web listener.
#include "teleport/web_tls.h"

#include <fcntl.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace tmsteams::teleport {

Socket::~Socket() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

std::string opensslError() {
    unsigned long e = ERR_get_error();
    if (e == 0) {
        return "the connection was closed during the TLS handshake";
    }
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

std::string hostOf(const std::string& addr) {
    auto colon = addr.rfind(':');
    std::string host = colon == std::string::npos ? addr : addr.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    return host;
}

namespace {

void setIoTimeouts(int fd, std::chrono::milliseconds t) {
    timeval tv{static_cast<time_t>(t.count() / 1000), static_cast<suseconds_t>((t.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

// connect() with a deadline: non-blocking, then poll for writability.
bool connectWithin(int fd, const sockaddr* sa, socklen_t len, std::chrono::milliseconds timeout, int& err) {
    int flags = ::fcntl(fd, F_GETFL, 0);
    ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    int rc = ::connect(fd, sa, len);
    if (rc != 0 && errno != EINPROGRESS) {
        err = errno;
        return false;
    }
    if (rc != 0) {
        pollfd p{fd, POLLOUT, 0};
        rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (rc <= 0) {
            err = rc == 0 ? ETIMEDOUT : errno;
            return false;
        }
        socklen_t l = sizeof err;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err != 0) {
            return false;
        }
    }
    ::fcntl(fd, F_SETFL, flags);
    return true;
}

}  // namespace

void clearIoTimeouts(int fd) { setIoTimeouts(fd, std::chrono::milliseconds(0)); }

absl::StatusOr<Socket> dialTcp(const std::string& addr, std::chrono::milliseconds timeout) {
    auto colon = addr.rfind(':');
    if (colon == std::string::npos) {
        return absl::InvalidArgumentError("address " + addr + " has no port");
    }
    const std::string host = hostOf(addr);
    const std::string port = addr.substr(colon + 1);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
        return absl::UnavailableError("cannot resolve " + host + ": " + gai_strerror(rc));
    }
    int err = 0;
    int fd = -1;
    for (addrinfo* ai = res; ai; ai = ai->ai_next) {
        fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connectWithin(fd, ai->ai_addr, ai->ai_addrlen, timeout, err)) {
            break;
        }
        ::close(fd);
        fd = -1;
    }
    ::freeaddrinfo(res);
    if (fd < 0) {
        return absl::UnavailableError("cannot connect to " + addr + ": " + std::strerror(err));
    }
    setIoTimeouts(fd, timeout);
    return Socket(fd);
}

absl::StatusOr<WebTlsResult> webTlsHandshake(int fd, const std::string& addr, const std::vector<std::string>& alpn) {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
    if (!ctx) {
        return absl::InternalError("cannot create a TLS context: " + opensslError());
    }
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(ctx.get());  // honours SSL_CERT_FILE and SSL_CERT_DIR
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    SslPtr ssl(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), fd);
    const std::string host = hostOf(addr);
    in6_addr ip6{};
    in_addr ip4{};
    const bool literal = inet_pton(AF_INET, host.c_str(), &ip4) == 1 || inet_pton(AF_INET6, host.c_str(), &ip6) == 1;
    if (!literal) {
        SSL_set_tlsext_host_name(ssl.get(), host.c_str());
    }
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl.get());
    if (literal) {
        X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
        X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
    }
    if (!alpn.empty()) {
        const std::string wire = alpnWire(alpn);
        SSL_set_alpn_protos(ssl.get(), reinterpret_cast<const unsigned char*>(wire.data()),
                            static_cast<unsigned>(wire.size()));
    }
    if (SSL_connect(ssl.get()) != 1) {
        const std::string err = opensslError();
        const long verify = SSL_get_verify_result(ssl.get());
        if (verify != X509_V_OK) {
            return absl::UnavailableError("the certificate of " + addr + " is not trusted (" +
                                          X509_verify_cert_error_string(verify) +
                                          "); for a private CA, point SSL_CERT_FILE at a bundle holding it");
        }
        return absl::UnavailableError("TLS with " + addr + " failed: " + err);
    }
    WebTlsResult r{std::move(ssl), ""};
    const unsigned char* sel = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(r.ssl.get(), &sel, &len);
    r.negotiatedAlpn.assign(reinterpret_cast<const char*>(sel), len);
    return r;
}

std::string alpnWire(const std::vector<std::string>& protocols) {
    std::string wire;
    for (const auto& p : protocols) {
        wire += static_cast<char>(p.size());
        wire += p;
    }
    return wire;
}

int trustCertificates(SSL_CTX* ctx, const std::string& pemBundle) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pemBundle.data(), static_cast<int>(pemBundle.size())),
                                                  BIO_free);
    int added = 0;
    while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
        X509_free(ca);
        ++added;
    }
    ERR_clear_error();
    return added;
}

std::string WebResponse::header(const std::string& lowerName) const {
    for (const auto& [k, v] : headers) {
        if (k == lowerName) {
            return v;
        }
    }
    return "";
}

absl::StatusOr<WebResponse> webExchange(SSL* ssl, const std::string& request, bool withBody, size_t maxBody,
                                        std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const int fd = SSL_get_fd(ssl);
    // Each read waits at most what is left of the whole exchange's time.
    auto timeLeft = [&]() {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        setIoTimeouts(fd, left);
        return true;
    };
    if (SSL_write(ssl, request.data(), static_cast<int>(request.size())) <= 0) {
        return absl::UnavailableError("cannot send the request: " + opensslError());
    }
    std::string data;
    char buf[8192];
    size_t headerEnd = std::string::npos;
    while (headerEnd == std::string::npos) {
        if (!timeLeft()) {
            return absl::DeadlineExceededError("no whole HTTP answer within " + std::to_string(timeout.count()) + " ms");
        }
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) {
            return absl::UnavailableError("the connection closed before a whole HTTP answer");
        }
        data.append(buf, static_cast<size_t>(n));
        headerEnd = data.find("\r\n\r\n");
        if (headerEnd == std::string::npos && data.size() > 16 * 1024) {
            return absl::UnavailableError("the HTTP answer's headers are too long");
        }
    }
    WebResponse r;
    const std::string head = data.substr(0, headerEnd);
    std::string rest = data.substr(headerEnd + 4);
    size_t lineEnd = head.find("\r\n");
    const std::string statusLine = head.substr(0, lineEnd);
    if (statusLine.rfind("HTTP/1.", 0) != 0 || statusLine.size() < 12) {
        return absl::UnavailableError("not an HTTP answer");
    }
    r.status = std::atoi(statusLine.c_str() + 9);
    while (lineEnd != std::string::npos) {
        size_t next = head.find("\r\n", lineEnd + 2);
        std::string line = head.substr(lineEnd + 2, next == std::string::npos ? std::string::npos : next - lineEnd - 2);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string k = line.substr(0, colon);
            std::transform(k.begin(), k.end(), k.begin(), [](unsigned char c) { return std::tolower(c); });
            std::string v = line.substr(colon + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            r.headers.emplace_back(k, v);
        }
        lineEnd = next;
    }
    if (!withBody) {
        r.extra = std::move(rest);
        return r;
    }
    const std::string length = r.header("content-length");
    const size_t want = length.empty() ? maxBody + 1 : static_cast<size_t>(std::strtoull(length.c_str(), nullptr, 10));
    if (!length.empty() && want > maxBody) {
        return absl::UnavailableError("the HTTP answer is larger than " + std::to_string(maxBody) + " bytes");
    }
    while (rest.size() < want) {
        if (!timeLeft()) {
            return absl::DeadlineExceededError("no whole HTTP answer within " + std::to_string(timeout.count()) + " ms");
        }
        int n = SSL_read(ssl, buf, sizeof buf);
        if (n <= 0) {
            break;  // Connection: close ends the body
        }
        rest.append(buf, static_cast<size_t>(n));
        if (rest.size() > maxBody) {
            return absl::UnavailableError("the HTTP answer is larger than " + std::to_string(maxBody) + " bytes");
        }
    }
    if (!r.header("transfer-encoding").empty()) {
        return absl::UnavailableError("the HTTP answer uses a transfer encoding (" +
                                      r.header("transfer-encoding").substr(0, 32) + ") an HTTP/1.0 request does not accept");
    }
    r.body = std::move(rest);
    return r;
}

}  // namespace tmsteams::teleport
