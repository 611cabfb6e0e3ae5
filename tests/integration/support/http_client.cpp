// A small libcurl client for tests.
#include "http_client.h"

#include <curl/curl.h>

#include <cstdio>

namespace tmsteams::testsupport {

namespace {
size_t onBody(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
    std::string line(data, size * n);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ')) {
            value.erase(0, 1);
        }
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
            value.pop_back();
        }
        (*static_cast<std::map<std::string, std::string>*>(user))[name] = value;
    }
    return size * n;
}
}  // namespace

HttpResponse httpDo(const HttpRequest& req) {
    HttpResponse resp;
    CURL* curl = curl_easy_init();
    curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    if (req.method != "GET" && req.method != "DELETE") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    } else if (!req.body.empty()) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    }
    struct curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Expect:");
    for (const auto& h : req.headers) {
        headers = curl_slist_append(headers, h.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    if (!req.caFile.empty()) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, req.caFile.c_str());
    }
    resp.curlCode = static_cast<int>(curl_easy_perform(curl));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return resp;
}

HttpResponse httpGet(const std::string& url, const std::vector<std::string>& headers) {
    HttpRequest r;
    r.url = url;
    r.headers = headers;
    return httpDo(r);
}

HttpResponse httpPost(const std::string& url, const std::string& body, const std::string& contentType,
                      const std::vector<std::string>& headers) {
    HttpRequest r;
    r.method = "POST";
    r.url = url;
    r.body = body;
    r.headers = headers;
    r.headers.push_back("Content-Type: " + contentType);
    return httpDo(r);
}

std::string formEncode(const std::string& v) {
    std::string out;
    for (unsigned char c : v) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else if (c == ' ') {
            out += '+';
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

}  // namespace tmsteams::testsupport
