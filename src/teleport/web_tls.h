// TLS to a Teleport Proxy's web listener, as Teleport's client makes it before TLS routing: the
// Proxy's own certificate is checked against the system's trust store (SSL_CERT_FILE /
// SSL_CERT_DIR when set), the SNI is the dialled host, and connecting, the handshake and each
// exchange are bounded in time (name resolution is the system resolver's).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <absl/status/statusor.h>
#include <openssl/ssl.h>

namespace tmsteams::teleport {

// A connected socket; closes it when destroyed unless released.
class Socket {
public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    ~Socket();
    Socket(Socket&& o) noexcept : fd_(o.release()) {}
    Socket& operator=(Socket&&) = delete;
    int get() const { return fd_; }
    int release() {
        int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

// Connects to host:port within `timeout`; the socket is left blocking, with send and receive
// timeouts of `timeout` (clearIoTimeouts removes them for long-lived streams).
absl::StatusOr<Socket> dialTcp(const std::string& addr, std::chrono::milliseconds timeout);
void clearIoTimeouts(int fd);

struct SslDeleter {
    void operator()(SSL* s) const { SSL_free(s); }
};
using SslPtr = std::unique_ptr<SSL, SslDeleter>;

// The most recent OpenSSL error as text (and clears the queue).
std::string opensslError();

// A TLS session with the Proxy's web listener on `fd`, offering `alpn` (may be empty).
struct WebTlsResult {
    SslPtr ssl;
    std::string negotiatedAlpn;
};
absl::StatusOr<WebTlsResult> webTlsHandshake(int fd, const std::string& addr, const std::vector<std::string>& alpn);

// ALPN protocol names in TLS wire form (each prefixed by its length).
std::string alpnWire(const std::vector<std::string>& protocols);

// Adds every certificate of a PEM bundle to the context's trust store; returns how many.
int trustCertificates(SSL_CTX* ctx, const std::string& pemBundle);

// The host part of host:port (brackets of an IPv6 literal removed).
std::string hostOf(const std::string& addr);

// An HTTP/1.1 response read from a TLS session: status, lower-cased headers, the body (when
// `withBody`) and any bytes that arrived after the headers (when not).
struct WebResponse {
    int status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::string extra;
    std::string header(const std::string& lowerName) const;
};
// Sends `request` and reads the answer: headers at most 16 KiB, body at most `maxBody`, all of it
// within `timeout`. The request should be HTTP/1.0 or ask for Connection: close: the body ends
// with Content-Length or the connection (chunked bodies are refused).
absl::StatusOr<WebResponse> webExchange(SSL* ssl, const std::string& request, bool withBody, size_t maxBody,
                                        std::chrono::milliseconds timeout);

}  // namespace tmsteams::teleport
