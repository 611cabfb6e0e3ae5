// A small libcurl client for tests, shaped like the daemon's own HTTP use.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace tmsteams::testsupport {

struct HttpResponse {
    int curlCode = 0;  // CURLE_OK = 0; non-zero when no HTTP answer came
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string header(const std::string& lowerName) const {
        auto it = headers.find(lowerName);
        return it == headers.end() ? "" : it->second;
    }
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::string body;
    std::vector<std::string> headers;  // "Name: value"
    std::string caFile;                // verify TLS with this CA; empty = system store
    std::chrono::milliseconds timeout{10000};
};

HttpResponse httpDo(const HttpRequest& req);
HttpResponse httpGet(const std::string& url, const std::vector<std::string>& headers = {});
HttpResponse httpPost(const std::string& url, const std::string& body, const std::string& contentType,
                      const std::vector<std::string>& headers = {});

// Form-encodes one value (RFC 3986 unreserved kept, space as '+').
std::string formEncode(const std::string& v);

}  // namespace tmsteams::testsupport
