// A stand-in for a Teleport Proxy's TLS-routing listener.
#include "alpn_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "common/log.h"

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

bool writeAll(int fd, const char* data, size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, data, n);
        if (w <= 0) {
            return false;
        }
        data += w;
        n -= static_cast<size_t>(w);
    }
    return true;
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

absl::StatusOr<std::unique_ptr<AlpnProxy>> AlpnProxy::start(const std::string& listen, std::string authAddr,
                                                            std::string clusterName) {
    auto colon = listen.rfind(':');
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::stoi(listen.substr(colon + 1))));
    if (inet_pton(AF_INET, listen.substr(0, colon).c_str(), &sa.sin_addr) != 1) {
        return absl::InvalidArgumentError("--proxy-listen wants an IPv4 host:port");
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 64) != 0) {
        ::close(fd);
        return absl::UnavailableError("cannot listen on " + listen + ": " + std::strerror(errno));
    }
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    std::unique_ptr<AlpnProxy> p(new AlpnProxy);
    p->listenFd_ = fd;
    p->address_ = listen.substr(0, colon) + ":" + std::to_string(ntohs(sa.sin_port));
    p->authAddr_ = std::move(authAddr);
    p->clusterName_ = std::move(clusterName);
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
}

void AlpnProxy::setAuthAddress(const std::string& addr) { authAddr_ = addr; }

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

void AlpnProxy::serve(int client) {
    std::string hello;
    std::optional<ClientHelloInfo> info;
    bool malformed = false;
    char buf[16384];
    while (!info && !malformed && hello.size() < 64 * 1024) {
        pollfd pfd{client, POLLIN, 0};
        if (::poll(&pfd, 1, 5000) <= 0) {
            break;
        }
        ssize_t n = ::read(client, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        hello.append(buf, static_cast<size_t>(n));
        info = parseClientHello(hello, malformed);
    }
    const std::string want = "teleport-auth@" + hexName(clusterName_) + ".teleport.cluster.local";
    bool routed = false;
    std::string offered;
    if (info) {
        for (const auto& p : info->alpn) {
            offered += (offered.empty() ? "" : ",") + p;
            routed = routed || p == want;
        }
    }
    common::logInfo("proxy connection", {{"alpn", offered}, {"sni", info ? info->serverName : ""},
                                         {"routed_to_auth", routed ? "yes" : "no"}});
    int upstream = routed ? connectTo(authAddr_) : -1;
    if (upstream < 0 || !writeAll(upstream, hello.data(), hello.size())) {
        ::close(client);
        if (upstream >= 0) {
            ::close(upstream);
        }
        return;
    }
    // Pipe both ways, unchanged: the TLS session is between the client and Auth.
    pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    for (;;) {
        if (::poll(fds, 2, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        bool done = false;
        for (int i = 0; i < 2 && !done; ++i) {
            if (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                done = n <= 0 || !writeAll(fds[1 - i].fd, buf, static_cast<size_t>(n));
            }
        }
        if (done) {
            break;
        }
    }
    ::close(client);
    ::close(upstream);
}

}  // namespace tmsteams::fakeauth
