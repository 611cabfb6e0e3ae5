// HttpTransport over libcurl: reused connections, TLS verification, proxies from the environment.
#pragma once

#include <absl/base/thread_annotations.h>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "msapi/http_transport.h"

namespace tmsteams::msapi {

class CurlHttpTransport final : public HttpTransport {
public:
    // `caFile` replaces the system CA store when set (private CAs, TLS-inspecting proxies).
    explicit CurlHttpTransport(std::string caFile = "");
    ~CurlHttpTransport() override;

    // HttpTransport
    HttpResponse send(const HttpRequest& request) override;

private:
    void* acquire();
    void release(void* handle);

    std::string caFile_;
    std::mutex mu_;              // guards idle_
    std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);    // CURL easy handles, each keeping its own connections alive
};

}  // namespace tmsteams::msapi
