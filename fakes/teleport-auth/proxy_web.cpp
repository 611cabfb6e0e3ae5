// The fake Proxy's web side.
#include "proxy_web.h"

#include <openssl/evp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>

#include "common/base64.h"
#include "common/json_escape.h"
#include "common/log.h"

namespace tmsteams::fakeauth {

namespace {

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

bool sslWrite(SSL* ssl, const std::string& data) {
    return SSL_write(ssl, data.data(), static_cast<int>(data.size())) == static_cast<int>(data.size());
}

bool readExact(SSL* ssl, std::string& pending, char* out, size_t n) {
    while (n > 0) {
        if (!pending.empty()) {
            size_t k = std::min(n, pending.size());
            std::memcpy(out, pending.data(), k);
            pending.erase(0, k);
            out += k;
            n -= k;
            continue;
        }
        int r = SSL_read(ssl, out, static_cast<int>(n));
        if (r <= 0) {
            return false;
        }
        out += r;
        n -= static_cast<size_t>(r);
    }
    return true;
}

// One client frame (clients must mask); returns false on close or error. A control frame (the
// client's pong) leaves `payload` empty, so the caller goes back to waiting on both sides.
bool readClientFrame(SSL* ssl, std::string& pending, std::string& payload) {
    payload.clear();
    {
        unsigned char h[2];
        if (!readExact(ssl, pending, reinterpret_cast<char*>(h), 2)) {
            return false;
        }
        const int opcode = h[0] & 0x0f;
        uint64_t len = h[1] & 0x7f;
        if (!(h[1] & 0x80)) {
            common::logWarn("proxy: an unmasked frame from a client; closing");
            return false;
        }
        if (len >= 126) {
            unsigned char ext[8];
            const size_t k = len == 126 ? 2 : 8;
            if (!readExact(ssl, pending, reinterpret_cast<char*>(ext), k)) {
                return false;
            }
            len = 0;
            for (size_t i = 0; i < k; ++i) {
                len = (len << 8) | ext[i];
            }
        }
        if (len > (1u << 24)) {
            return false;
        }
        unsigned char key[4];
        std::string data(static_cast<size_t>(len), '\0');
        if (!readExact(ssl, pending, reinterpret_cast<char*>(key), 4) ||
            (len > 0 && !readExact(ssl, pending, data.data(), data.size()))) {
            return false;
        }
        for (size_t i = 0; i < data.size(); ++i) {
            data[i] = static_cast<char>(data[i] ^ key[i % 4]);
        }
        if (opcode == 0x8) {
            return false;
        }
        if (opcode == 0x2 || opcode == 0x0) {
            payload = std::move(data);
        }
        return true;
    }
}

bool sendFrame(SSL* ssl, int opcode, const char* data, size_t len) {
    std::string f;
    f += static_cast<char>(0x80 | opcode);
    if (len < 126) {
        f += static_cast<char>(len);
    } else if (len <= 0xffff) {
        f += static_cast<char>(126);
        f += static_cast<char>(len >> 8);
        f += static_cast<char>(len & 0xff);
    } else {
        f += static_cast<char>(127);
        for (int i = 7; i >= 0; --i) {
            f += static_cast<char>((static_cast<uint64_t>(len) >> (8 * i)) & 0xff);
        }
    }
    f.append(data, len);
    return sslWrite(ssl, f);
}


// After the 101: the client's TLS for Auth arrives in frames; route it by its ALPN, then relay.
void tunnel(SSL* ssl, int client, std::string pending, const ProxySettings& s, bool ping) {
    if (ping && !sendFrame(ssl, 0x9, "teleport", 8)) {  // "alpn-ping": the Proxy's keep-alive
        return;
    }
    std::string hello;
    std::optional<ClientHelloInfo> info;
    bool malformed = false;
    while (!info && !malformed && hello.size() < 64 * 1024) {
        std::string payload;
        if (!readClientFrame(ssl, pending, payload)) {
            return;
        }
        hello += payload;
        info = parseClientHello(hello, malformed);
    }
    if (!info) {
        return;
    }
    int upstream = routeToAuth(s, info->alpn);
    common::logInfo("proxy upgraded connection", {{"alpn", info->alpn.empty() ? "" : info->alpn.front()},
                                                  {"routed_to_auth", upstream >= 0 ? "yes" : "no"}});
    if (upstream < 0 || !writeAll(upstream, hello.data(), hello.size())) {
        if (upstream >= 0) {
            ::close(upstream);
        }
        return;
    }
    char buf[16384];
    for (;;) {
        if (SSL_pending(ssl) == 0 && pending.empty()) {
            pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
            const int ready = ::poll(fds, 2, ping ? 1000 : -1);
            if (ready < 0) {
                if (errno == EINTR) {
                    continue;
                }
                break;
            }
            if (ready == 0) {
                // "alpn-ping": the Proxy's keep-alive while the tunnel is quiet, as Teleport's does.
                if (!sendFrame(ssl, 0x9, "teleport", 8)) {
                    break;
                }
                continue;
            }
            if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                ssize_t n = ::read(upstream, buf, sizeof buf);
                if (n <= 0 || !sendFrame(ssl, 0x2, buf, static_cast<size_t>(n))) {
                    break;
                }
                // A ping right behind the data, the hardest timing for a client: it must answer it
                // and go on sending without waiting for more data from Auth.
                if (ping && !sendFrame(ssl, 0x9, "teleport", 8)) {
                    break;
                }
            }
            if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
                continue;
            }
        }
        std::string payload;
        if (!readClientFrame(ssl, pending, payload) ||
            (!payload.empty() && !writeAll(upstream, payload.data(), payload.size()))) {
            break;
        }
    }
    ::close(upstream);
}

std::string findJson(const ProxySettings& s, bool ping) {
    std::string j = "{\"proxy\":{\"tls_routing_enabled\":" + std::string(s.tlsRouting ? "true" : "false") +
                    ",\"ssh\":{\"public_addr\":\"" + s.listen + "\"}},\"server_version\":" +
                    common::jsonQuote(s.serverVersion) + ",\"min_client_version\":\"17.0.0\",\"cluster_name\":" +
                    common::jsonQuote(s.clusterName);
    if (ping) {
        j += ",\"auth\":{\"type\":\"local\",\"second_factor\":\"on\"}";
    }
    return j + "}";
}

void respond(SSL* ssl, int status, const std::string& reason, const std::string& body) {
    sslWrite(ssl, "HTTP/1.1 " + std::to_string(status) + " " + reason +
                      "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                      "\r\nConnection: close\r\n\r\n" + body);
}

}  // namespace

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

int selectWebAlpn(SSL*, const unsigned char** out, unsigned char* outLen, const unsigned char* in, unsigned int inLen,
                  void* arg) {
    if (*static_cast<bool*>(arg)) {
        return SSL_TLSEXT_ERR_NOACK;  // a load balancer negotiates nothing
    }
    for (const std::string want : {"teleport-reversetunnel", "http/1.1"}) {
        for (unsigned int i = 0; i < inLen;) {
            unsigned int len = in[i];
            if (i + 1 + len > inLen) {
                break;
            }
            if (std::string(reinterpret_cast<const char*>(in + i + 1), len) == want) {
                *out = in + i + 1;
                *outLen = static_cast<unsigned char>(len);
                return SSL_TLSEXT_ERR_OK;
            }
            i += 1 + len;
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

void serveWeb(SSL_CTX* ctx, int client, const ProxySettings& s) {
    timeval tv{5, 0};
    ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx), SSL_free);
    SSL_set_fd(ssl.get(), client);
    if (SSL_accept(ssl.get()) != 1) {
        return;
    }
    const unsigned char* sel = nullptr;
    unsigned int selLen = 0;
    SSL_get0_alpn_selected(ssl.get(), &sel, &selLen);
    if (std::string(reinterpret_cast<const char*>(sel), selLen) == "teleport-reversetunnel") {
        SSL_shutdown(ssl.get());  // agents' tunnels are not modelled
        return;
    }
    std::string data;
    char buf[4096];
    size_t end = std::string::npos;
    while ((end = data.find("\r\n\r\n")) == std::string::npos && data.size() < 16 * 1024) {
        int n = SSL_read(ssl.get(), buf, sizeof buf);
        if (n <= 0) {
            return;
        }
        data.append(buf, static_cast<size_t>(n));
    }
    if (end == std::string::npos) {
        return;
    }
    const std::string head = data.substr(0, end);
    const std::string line = head.substr(0, head.find("\r\n"));
    std::map<std::string, std::string> headers;
    for (size_t at = head.find("\r\n"); at != std::string::npos;) {
        size_t next = head.find("\r\n", at + 2);
        std::string h = head.substr(at + 2, next == std::string::npos ? std::string::npos : next - at - 2);
        if (auto c = h.find(':'); c != std::string::npos) {
            std::string v = h.substr(c + 1);
            v.erase(0, v.find_first_not_of(' '));
            headers[lower(h.substr(0, c))] = v;
        }
        at = next;
    }
    const std::string path = line.substr(line.find(' ') + 1, line.rfind(' ') - line.find(' ') - 1);
    common::logInfo("proxy web request", {{"request", line}});
    if (line.rfind("GET ", 0) == 0 && (path == "/webapi/find" || path == "/webapi/ping")) {
        respond(ssl.get(), 200, "OK", findJson(s, path == "/webapi/ping"));
        return;
    }
    if (line.rfind("GET ", 0) == 0 && path == "/webapi/connectionupgrade") {
        const std::string protocols = headers["sec-websocket-protocol"];
        const std::string key = headers["sec-websocket-key"];
        if (lower(headers["upgrade"]) != "websocket" || key.empty() ||
            (protocols.find("alpn") == std::string::npos)) {
            respond(ssl.get(), 404, "Not Found", "{\"error\":{\"message\":\"unsupported upgrade types\"}}");
            return;
        }
        const bool ping = protocols.find("alpn-ping") != std::string::npos;
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        const std::string accept = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
        EVP_Digest(accept.data(), accept.size(), digest, &n, EVP_sha1(), nullptr);
        sslWrite(ssl.get(), "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                            "Sec-WebSocket-Accept: " +
                                common::base64Encode(std::string(reinterpret_cast<char*>(digest), n)) +
                                "\r\nSec-WebSocket-Protocol: " + (ping ? "alpn-ping" : "alpn") + "\r\n\r\n");
        timeval none{0, 0};
        ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
        tunnel(ssl.get(), client, data.substr(end + 4), s, ping);
        return;
    }
    respond(ssl.get(), 404, "Not Found", "{\"error\":{\"message\":\"not found\"}}");
}

}  // namespace tmsteams::fakeauth
