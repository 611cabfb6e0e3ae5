// A stand-in for a Teleport Proxy's TLS-routing listener.
#include "alpn_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/log.h"
#include "proxy_web.h"

namespace tmsteams::fakeauth {

namespace {

uint32_t be(const std::string& b, size_t at, int bytes) {
    uint32_t v = 0;
    for (int i = 0; i < bytes; ++i) {
        v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<size_t>(i)]);
    }
    return v;
}

int connectTo(const std::string& addr) {
    auto colon = addr.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::stoi(addr.substr(colon + 1))));
    if (inet_pton(AF_INET, addr.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
        return -1;
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}


std::string hexName(const std::string& s) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out += hex[c >> 4];
        out += hex[c & 15];
    }
    return out;
}

}  // namespace

std::optional<ClientHelloInfo> parseClientHello(const std::string& b, bool& malformed) {
    malformed = false;
    if (b.size() < 5) {
        return std::nullopt;
    }
    if (static_cast<unsigned char>(b[0]) != 0x16) {
        malformed = true;  // not a TLS handshake record
        return std::nullopt;
    }
    size_t recordLen = be(b, 3, 2);
    if (b.size() < 5 + recordLen) {
        return std::nullopt;
    }
    std::string h = b.substr(5, recordLen);
    auto need = [&](size_t at, size_t n) {
        if (at + n > h.size()) {
            malformed = true;
            return false;
        }
        return true;
    };
    if (!need(0, 4) || static_cast<unsigned char>(h[0]) != 0x01) {
        malformed = true;
        return std::nullopt;
    }
    size_t p = 4 + 2 + 32;  // handshake header, client_version, random
    if (!need(p, 1)) return std::nullopt;
    p += 1 + static_cast<unsigned char>(h[p]);  // session id
    if (!need(p, 2)) return std::nullopt;
    p += 2 + be(h, p, 2);  // cipher suites
    if (!need(p, 1)) return std::nullopt;
    p += 1 + static_cast<unsigned char>(h[p]);  // compression methods
    ClientHelloInfo info;
    if (p == h.size()) {
        return info;  // no extensions
    }
    if (!need(p, 2)) return std::nullopt;
    size_t end = p + 2 + be(h, p, 2);
    p += 2;
    if (end > h.size()) {
        malformed = true;
        return std::nullopt;
    }
    while (p + 4 <= end) {
        uint32_t type = be(h, p, 2);
        size_t len = be(h, p + 2, 2);
        size_t data = p + 4;
        if (data + len > end) {
            malformed = true;
            return std::nullopt;
        }
        if (type == 16 && len >= 2) {  // ALPN
            size_t q = data + 2;
            while (q < data + len) {
                size_t l = static_cast<unsigned char>(h[q]);
                if (q + 1 + l > data + len) {
                    malformed = true;
                    return std::nullopt;
                }
                info.alpn.push_back(h.substr(q + 1, l));
                q += 1 + l;
            }
        } else if (type == 0 && len >= 5) {  // server_name
            size_t nameLen = be(h, data + 3, 2);
            if (data + 5 + nameLen <= data + len) {
                info.serverName = h.substr(data + 5, nameLen);
            }
        }
        p = data + len;
    }
    return info;
}

absl::StatusOr<std::unique_ptr<AlpnProxy>> AlpnProxy::start(ProxySettings settings) {
    const std::string& listen = settings.listen;
    auto colon = listen.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
    if (inet_pton(AF_INET, listen.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
        return absl::InvalidArgumentError("--proxy-listen wants an IPv4 host:port");
    }
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, settings.webCertPath.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, settings.webKeyPath.c_str(), SSL_FILETYPE_PEM) != 1) {
        SSL_CTX_free(ctx);
        return absl::InternalError("cannot load the proxy's web certificate " + settings.webCertPath);
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 64) != 0) {
        ::close(fd);
        SSL_CTX_free(ctx);
        return absl::UnavailableError("cannot listen on " + listen + ": " + std::strerror(errno));
    }
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    std::unique_ptr<AlpnProxy> p(new AlpnProxy);
    p->listenFd_ = fd;
    p->address_ = listen.substr(0, colon) + ":" + std::to_string(ntohs(sa.sin_port));
    p->settings_ = std::move(settings);
    SSL_CTX_set_alpn_select_cb(ctx, selectWebAlpn, &p->settings_.behindLoadBalancer);
    p->webCtx_ = ctx;
    p->acceptor_ = std::thread([raw = p.get()] { raw->acceptLoop(); });
    return p;
}

AlpnProxy::~AlpnProxy() {
    stopping_ = true;
    ::shutdown(listenFd_, SHUT_RDWR);
    ::close(listenFd_);
    if (acceptor_.joinable()) {
        acceptor_.join();
    }
    SSL_CTX_free(static_cast<SSL_CTX*>(webCtx_));
}

void AlpnProxy::acceptLoop() {
    while (!stopping_) {
        int client = ::accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
        if (client < 0) {
            if (stopping_) {
                return;
            }
            continue;
        }
        std::thread([this, client] { serve(client); }).detach();
    }
}

namespace {
// Pipes both ways, unchanged, until either side closes.
void pipeRaw(int a, int b) {
    char buf[16384];
    pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
    for (;;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                if (n <= 0 || !writeAll(fds[1 - i].fd, buf, static_cast<size_t>(n))) {
                    return;
                }
            }
        }
    }
}

}  // namespace

int routeToAuth(const ProxySettings& s, const std::vector<std::string>& alpn) {
    const std::string prefix = "teleport-auth@";
    const std::string want = prefix + hexName(s.clusterName) + ".teleport.cluster.local";
    if (alpn.empty() || alpn.front().rfind(prefix, 0) != 0) {
        return -1;
    }
    if (alpn.front() != want) {
        common::logWarn("proxy: ALPN names a cluster this proxy does not serve; closing", {{"alpn", alpn.front()}});
        return -1;
    }
    return connectTo(s.authAddr);
}

void AlpnProxy::serve(int client) {
    // Peek at the ClientHello without consuming it: it is forwarded, or handed to our TLS.
    std::string hello;
    std::optional<ClientHelloInfo> info;
    bool malformed = false;
    char buf[16384];
    while (!info && !malformed && hello.size() < 64 * 1024) {
        pollfd pfd{client, POLLIN, 0};
        if (::poll(&pfd, 1, 5000) <= 0) {
            break;
        }
        ssize_t n = ::recv(client, buf, sizeof buf, MSG_PEEK);
        if (n <= 0 || static_cast<size_t>(n) == hello.size()) {
            if (n <= 0) {
                break;
            }
            ::usleep(2000);  // nothing new yet
            continue;
        }
        hello.assign(buf, static_cast<size_t>(n));
        info = parseClientHello(hello, malformed);
    }
    if (!info) {
        ::close(client);
        return;
    }
    std::string offered;
    for (const auto& p : info->alpn) {
        offered += (offered.empty() ? "" : ",") + p;
    }
    const bool authRouted = !settings_.behindLoadBalancer && !info->alpn.empty() &&
                            info->alpn.front().rfind("teleport-auth@", 0) == 0;
    common::logInfo("proxy connection", {{"alpn", offered}, {"sni", info->serverName},
                                         {"routed_to_auth", authRouted ? "yes" : "no"},
                                         {"terminated_by", settings_.behindLoadBalancer ? "load balancer" : "proxy"}});
    if (authRouted) {
        int upstream = routeToAuth(settings_, info->alpn);
        if (upstream >= 0) {
            pipeRaw(client, upstream);
            ::close(upstream);
        }
        ::close(client);
        return;
    }
    serveWeb(static_cast<SSL_CTX*>(webCtx_), client, settings_);
    ::close(client);
}

}  // namespace tmsteams::fakeauth
