// HttpTransport over libcurl.
#include "msapi/curl_http_transport.h"

#include <curl/curl.h>

namespace tmsteams::msapi {

namespace {

struct GlobalInit {
    GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
};

size_t onBody(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

size_t onHeader(char* data, size_t size, size_t n, void* user) {
    std::string line(data, size * n);
    auto* headers = static_cast<std::map<std::string, std::string>*>(user);
    if (line.rfind("HTTP/", 0) == 0) {
        headers->clear();  // a new response (after a redirect or 100-continue)
        return size * n;
    }
    auto colon = line.find(':');
    if (colon == std::string::npos) {
        return size * n;
    }
    std::string name = line.substr(0, colon);
    for (auto& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    size_t start = line.find_first_not_of(' ', colon + 1);
    std::string value = start == std::string::npos ? "" : line.substr(start);
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
        value.pop_back();
    }
    (*headers)[name] = value;
    return size * n;
}

}  // namespace

CurlHttpTransport::CurlHttpTransport(std::string caFile) : caFile_(std::move(caFile)) {
    static GlobalInit init;
}

CurlHttpTransport::~CurlHttpTransport() {
    for (void* h : idle_) {
        curl_easy_cleanup(static_cast<CURL*>(h));
    }
}

void* CurlHttpTransport::acquire() {
    {
        std::lock_guard lock(mu_);
        if (!idle_.empty()) {
            void* h = idle_.back();
            idle_.pop_back();
            return h;
        }
    }
    return curl_easy_init();
}

void CurlHttpTransport::release(void* handle) {
    std::lock_guard lock(mu_);
    idle_.push_back(handle);
}

HttpResponse CurlHttpTransport::send(const HttpRequest& req) {
    HttpResponse resp;
    CURL* curl = static_cast<CURL*>(acquire());
    if (!curl) {
        resp.transportError = "cannot create a libcurl handle";
        return resp;
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(req.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!caFile_.empty()) {
        curl_easy_setopt(curl, CURLOPT_CAINFO, caFile_.c_str());
    }
    if (req.method == "GET") {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else {
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req.method.c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(req.body.size()));
    }
    struct curl_slist* headers = curl_slist_append(nullptr, "Expect:");
    for (const auto& [k, v] : req.headers) {
        headers = curl_slist_append(headers, (k + ": " + v).c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp.headers);
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        resp.transportError = curl_easy_strerror(rc);
        resp.status = 0;
        resp.tlsVerificationFailed = rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE;
    } else {
        long status = 0;
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        resp.status = static_cast<int>(status);
    }
    // Drop the handle's reference to our stack buffers before it goes back to the pool.
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
    release(curl);
    return resp;
}

}  // namespace tmsteams::msapi
