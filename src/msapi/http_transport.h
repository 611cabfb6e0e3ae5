// The HTTP seam: everything the Microsoft clients send goes through this interface.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace tmsteams::msapi {

struct HttpRequest {
    std::string method;  // GET, POST, PUT, DELETE
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::chrono::milliseconds timeout{30000};
};

struct HttpResponse {
    int status = 0;                              // 0 when no HTTP answer came
    std::string transportError;                  // non-empty when no HTTP answer came
    bool tlsVerificationFailed = false;          // the server's certificate is not trusted: final
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;

    bool answered() const { return transportError.empty(); }
    std::string header(const std::string& lowerName) const {
        auto it = headers.find(lowerName);
        return it == headers.end() ? "" : it->second;
    }
};

class HttpTransport {
public:
    virtual ~HttpTransport() = default;
    // Sends one request; never throws. Thread-safe.
    virtual HttpResponse send(const HttpRequest& request) = 0;
};

}  // namespace tmsteams::msapi
