// Teleport's ALPN connection upgrade over WebSocket.
#include "teleport/conn_upgrade.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "common/base64.h"
#include "common/log.h"

namespace tmsteams::teleport {

namespace {

constexpr const char* UpgradeProtocol = "alpn-ping";  // what Teleport's client asks for Auth
constexpr size_t MaxFrame = 16 * 1024 * 1024;

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::optional<bool> parseBool(std::string v) {
    v = lower(v);
    if (v == "1" || v == "t" || v == "true" || v == "yes" || v == "y") {
        return true;
    }
    if (v == "0" || v == "f" || v == "false" || v == "no" || v == "n") {
        return false;
    }
    return std::nullopt;
}

class RawTransport final : public Transport {
public:
    explicit RawTransport(Socket s) : socket_(std::move(s)) {}
    int read(char* buf, int len) override {
        ssize_t n = ::read(socket_.get(), buf, static_cast<size_t>(len));
        return static_cast<int>(n);
    }
    bool write(const char* data, size_t len) override {
        while (len > 0) {
            ssize_t n = ::write(socket_.get(), data, len);
            if (n <= 0) {
                return false;
            }
            data += n;
            len -= static_cast<size_t>(n);
        }
        return true;
    }
    bool hasBuffered() const override { return false; }
    int fd() const override { return socket_.get(); }

private:
    Socket socket_;
};

// Binary frames to the Proxy (masked, as a client must; Teleport's own client uses a zero key,
// which we do too so that old Proxies that ignore the mask work), frames from it unmasked.
class WebSocketTransport final : public Transport {
public:
    WebSocketTransport(Socket s, SslPtr ssl, std::string early)
        : socket_(std::move(s)), ssl_(std::move(ssl)), early_(std::move(early)) {}
    int read(char* buf, int len) override {
        if (payload_.size() == payloadAt_) {
            // One frame a call: after a control frame (the Proxy's ping) the caller goes back to
            // waiting on the socket, so that bytes grpc++ sends meanwhile are not held up.
            int r = nextFrame();
            if (r <= 0) {
                return r;
            }
            if (payload_.size() == payloadAt_) {
                return WouldBlock;
            }
        }
        const size_t n = std::min(static_cast<size_t>(len), payload_.size() - payloadAt_);
        std::memcpy(buf, payload_.data() + payloadAt_, n);
        payloadAt_ += n;
        return static_cast<int>(n);
    }
    bool write(const char* data, size_t len) override { return sendFrame(0x2, data, len); }
    bool hasBuffered() const override {
        return payloadAt_ < payload_.size() || earlyAt_ < early_.size() || SSL_pending(ssl_.get()) > 0;
    }
    int fd() const override { return socket_.get(); }

private:
    // Exactly n bytes from the session (bytes that came with the 101 answer first).
    bool readExact(char* out, size_t n) {
        while (n > 0) {
            if (earlyAt_ < early_.size()) {
                size_t k = std::min(n, early_.size() - earlyAt_);
                std::memcpy(out, early_.data() + earlyAt_, k);
                earlyAt_ += k;
                out += k;
                n -= k;
                continue;
            }
            int r = SSL_read(ssl_.get(), out, static_cast<int>(std::min<size_t>(n, 1 << 20)));
            if (r <= 0) {
                return false;
            }
            out += r;
            n -= static_cast<size_t>(r);
        }
        return true;
    }
    // Reads one frame; 1 when it was data, 0 on close, -1 on error; control frames are handled.
    int nextFrame() {
        unsigned char h[2];
        if (!readExact(reinterpret_cast<char*>(h), 2)) {
            return 0;
        }
        const int opcode = h[0] & 0x0f;
        const bool masked = h[1] & 0x80;
        uint64_t len = h[1] & 0x7f;
        if (len >= 126) {
            unsigned char ext[8];
            const size_t k = len == 126 ? 2 : 8;
            if (!readExact(reinterpret_cast<char*>(ext), k)) {
                return -1;
            }
            len = 0;
            for (size_t i = 0; i < k; ++i) {
                len = (len << 8) | ext[i];
            }
        }
        if (len > MaxFrame) {
            common::logWarn("the proxy sent an oversized WebSocket frame; closing the tunnel");
            return -1;
        }
        unsigned char key[4] = {0, 0, 0, 0};
        if (masked && !readExact(reinterpret_cast<char*>(key), 4)) {
            return -1;
        }
        std::string data(static_cast<size_t>(len), '\0');
        if (len > 0 && !readExact(data.data(), data.size())) {
            return -1;
        }
        for (size_t i = 0; masked && i < data.size(); ++i) {
            data[i] = static_cast<char>(data[i] ^ key[i % 4]);
        }
        switch (opcode) {
            case 0x0:
            case 0x2:
                payload_ = std::move(data);
                payloadAt_ = 0;
                return 1;
            case 0x8:
                return 0;
            case 0x9:  // the Proxy's keep-alive ("alpn-ping"): answer with the same payload
                payload_.clear();
                payloadAt_ = 0;
                return sendFrame(0xA, data.data(), data.size()) ? 1 : -1;
            default:
                payload_.clear();
                payloadAt_ = 0;
                return 1;  // pong and text frames carry nothing for us
        }
    }
    bool sendFrame(int opcode, const char* data, size_t len) {
        std::string f;
        f += static_cast<char>(0x80 | opcode);
        if (len < 126) {
            f += static_cast<char>(0x80 | len);
        } else if (len <= 0xffff) {
            f += static_cast<char>(0x80 | 126);
            f += static_cast<char>(len >> 8);
            f += static_cast<char>(len & 0xff);
        } else {
            f += static_cast<char>(0x80 | 127);
            for (int i = 7; i >= 0; --i) {
                f += static_cast<char>((static_cast<uint64_t>(len) >> (8 * i)) & 0xff);
            }
        }
        f.append(4, '\0');  // zero mask key: payload unchanged
        f.append(data, len);
        return SSL_write(ssl_.get(), f.data(), static_cast<int>(f.size())) == static_cast<int>(f.size());
    }

    Socket socket_;
    SslPtr ssl_;
    std::string early_;
    size_t earlyAt_ = 0;
    std::string payload_;
    size_t payloadAt_ = 0;
};

int bioWrite(BIO* b, const char* data, int len) {
    auto* t = static_cast<Transport*>(BIO_get_data(b));
    return t->write(data, static_cast<size_t>(len)) ? len : -1;
}

int bioRead(BIO* b, char* buf, int len) {
    BIO_clear_retry_flags(b);
    auto* t = static_cast<Transport*>(BIO_get_data(b));
    int n = t->read(buf, len);
    if (n == Transport::WouldBlock) {
        BIO_set_retry_read(b);  // SSL_read reports SSL_ERROR_WANT_READ
        return -1;
    }
    return n;
}

long bioCtrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int bioCreate(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

BIO_METHOD* transportMethod() {
    static BIO_METHOD* m = [] {
        BIO_METHOD* meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "teleport transport");
        BIO_meth_set_write(meth, bioWrite);
        BIO_meth_set_read(meth, bioRead);
        BIO_meth_set_ctrl(meth, bioCtrl);
        BIO_meth_set_create(meth, bioCreate);
        return meth;
    }();
    return m;
}

}  // namespace

std::optional<bool> connUpgradeFromEnv(const std::string& value, const std::string& addr) {
    std::optional<bool> fallback;
    size_t at = 0;
    while (at <= value.size()) {
        size_t end = value.find_first_of(",;", at);
        std::string token = value.substr(at, end == std::string::npos ? std::string::npos : end - at);
        token.erase(0, token.find_first_not_of(" \t"));
        token.erase(token.find_last_not_of(" \t") + 1);
        if (auto eq = token.rfind('='); eq != std::string::npos) {
            if (token.substr(0, eq) == addr) {
                return parseBool(token.substr(eq + 1));
            }
        } else if (!token.empty()) {
            fallback = parseBool(token);
        }
        if (end == std::string::npos) {
            break;
        }
        at = end + 1;
    }
    return fallback;
}

bool connUpgradeRequired(const std::string& addr, std::chrono::milliseconds timeout) {
    if (const char* env = std::getenv("TELEPORT_TLS_ROUTING_CONN_UPGRADE"); env && *env) {
        if (auto decided = connUpgradeFromEnv(env, addr)) {
            return *decided;
        }
    }
    auto sock = dialTcp(addr, timeout);
    if (!sock.ok()) {
        return false;  // the real dial reports it
    }
    auto tls = webTlsHandshake(sock->get(), addr, {"teleport-reversetunnel"});
    if (!tls.ok()) {
        return std::string(tls.status().message()).find("no application protocol") != std::string::npos;
    }
    return tls->negotiatedAlpn.empty();
}

std::unique_ptr<Transport> rawTransport(Socket socket) { return std::make_unique<RawTransport>(std::move(socket)); }

absl::StatusOr<std::unique_ptr<Transport>> openUpgradedTransport(const std::string& addr,
                                                                 std::chrono::milliseconds timeout) {
    auto sock = dialTcp(addr, timeout);
    if (!sock.ok()) {
        return sock.status();
    }
    auto tls = webTlsHandshake(sock->get(), addr, {});
    if (!tls.ok()) {
        return tls.status();
    }
    unsigned char nonce[16];
    RAND_bytes(nonce, sizeof nonce);
    const std::string key = common::base64Encode(std::string(reinterpret_cast<char*>(nonce), sizeof nonce));
    auto r = webExchange(tls->ssl.get(),
                         "GET /webapi/connectionupgrade HTTP/1.1\r\nHost: " + addr +
                             "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                             "Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Protocol: " + UpgradeProtocol +
                             "\r\n\r\n",
                         false, 0, timeout);
    if (!r.ok()) {
        return absl::UnavailableError("connection upgrade at " + addr + ": " + std::string(r.status().message()));
    }
    if (r->status == 404) {
        return absl::UnimplementedError("the proxy at " + addr +
                                        " does not know the connection upgrade (/webapi/connectionupgrade): "
                                        "upgrade Teleport, or reach it without the load balancer");
    }
    if (r->status != 101) {
        return absl::UnavailableError("connection upgrade at " + addr + " answered HTTP " + std::to_string(r->status));
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    const std::string accept = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    EVP_Digest(accept.data(), accept.size(), digest, &n, EVP_sha1(), nullptr);
    if (r->header("sec-websocket-accept") != common::base64Encode(std::string(reinterpret_cast<char*>(digest), n)) ||
        r->header("sec-websocket-protocol") != UpgradeProtocol) {
        return absl::UnavailableError("connection upgrade at " + addr + ": the WebSocket handshake does not match");
    }
    return std::unique_ptr<Transport>(
        std::make_unique<WebSocketTransport>(std::move(*sock), std::move(tls->ssl), std::move(r->extra)));
}

BIO* transportBio(Transport* transport) {
    BIO* b = BIO_new(transportMethod());
    BIO_set_data(b, transport);
    return b;
}

}  // namespace tmsteams::teleport
