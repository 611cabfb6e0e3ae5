// GET /webapi/find on a Teleport Proxy.
#include "teleport/proxy_find.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include "teleport/web_tls.h"

namespace tmsteams::teleport {

absl::StatusOr<ProxyFacts> parseFindResponse(const std::string& body) {
    try {
        Poco::JSON::Parser p;
        auto o = p.parse(body).extract<Poco::JSON::Object::Ptr>();
        if (!o) {
            return absl::NotFoundError("the /webapi/find answer is not a JSON object");
        }
        ProxyFacts f;
        if (auto proxy = o->getObject("proxy"); proxy && proxy->has("tls_routing_enabled")) {
            f.tlsRouting = proxy->get("tls_routing_enabled").isBoolean() && proxy->getValue<bool>("tls_routing_enabled");
        }
        if (o->has("cluster_name") && o->get("cluster_name").isString()) {
            f.clusterName = o->getValue<std::string>("cluster_name");
        }
        if (o->has("server_version") && o->get("server_version").isString()) {
            f.serverVersion = o->getValue<std::string>("server_version");
        }
        if (!o->has("proxy")) {
            return absl::NotFoundError("the /webapi/find answer has no \"proxy\" settings");
        }
        return f;
    } catch (const std::exception&) {
        return absl::NotFoundError("the /webapi/find answer is not JSON");
    }
}

absl::StatusOr<ProxyFacts> findProxy(const std::string& addr, std::chrono::milliseconds timeout) {
    auto sock = dialTcp(addr, timeout);
    if (!sock.ok()) {
        return sock.status();
    }
    auto tls = webTlsHandshake(sock->get(), addr, {"http/1.1"});
    if (!tls.ok()) {
        return tls.status();
    }
    // HTTP/1.0: the answer ends with Content-Length or the connection, never chunked.
    auto r = webExchange(tls->ssl.get(),
                         "GET /webapi/find HTTP/1.0\r\nHost: " + addr + "\r\nAccept: application/json\r\n\r\n",
                         true, 256 * 1024, timeout);
    if (!r.ok()) {
        return absl::UnavailableError(std::string(r.status().message()));
    }
    if (r->status >= 500) {
        // A Proxy restarting behind its balancer: try again later, do not take it for Auth.
        return absl::UnavailableError("GET /webapi/find answered HTTP " + std::to_string(r->status));
    }
    if (r->status != 200) {
        return absl::NotFoundError("GET /webapi/find answered HTTP " + std::to_string(r->status));
    }
    return parseFindResponse(r->body);
}

}  // namespace tmsteams::teleport
