// The fake Proxy's web side: its own TLS, /webapi/find and /webapi/ping, and the ALPN connection
// upgrade over WebSocket. Internal to alpn_proxy.cpp.
#pragma once

#include <string>
#include <vector>

#include <openssl/ssl.h>

#include "alpn_proxy.h"

namespace tmsteams::fakeauth {

// ALPN for the web listener: "teleport-reversetunnel" or "http/1.1" when offered; none behind a
// load balancer. `arg` points at ProxySettings::behindLoadBalancer.
int selectWebAlpn(SSL* ssl, const unsigned char** out, unsigned char* outLen, const unsigned char* in,
                  unsigned int inLen, void* arg);

// Writes all of `data` to `fd`; false when the peer is gone.
bool writeAll(int fd, const char* data, size_t n);

// A socket to Auth for a connection whose ALPN routes there; -1 otherwise.
int routeToAuth(const ProxySettings& settings, const std::vector<std::string>& alpn);

// Terminates TLS on `client` and serves one HTTP request (or an upgraded tunnel).
void serveWeb(SSL_CTX* ctx, int client, const ProxySettings& settings);

}  // namespace tmsteams::fakeauth
