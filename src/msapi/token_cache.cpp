// OAuth2 client-credentials tokens for one audience.
#include "msapi/token_cache.h"

#include <cstdio>

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "common/backoff.h"
#include "common/log.h"

namespace tmsteams::msapi {

std::string formEncode(const std::string& v) {
    std::string out;
    for (unsigned char c : v) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

TokenCache::TokenCache(HttpTransport& http, common::Clock& clock, AppCredentials creds,
                       std::string scope)
    : http_(http), clock_(clock), scope_(std::move(scope)), creds_(std::move(creds)) {}

absl::StatusOr<std::string> TokenCache::get(std::stop_token stop) {
    std::unique_lock lock(mu_);
    if (!token_.empty() && clock_.steadyNow() < renewAt_) {
        return token_;
    }
    if (fetching_) {
        // Someone is fetching: share its outcome instead of asking the endpoint again.
        const uint64_t waitingFor = fetches_ + 1;
        fetched_.wait(lock, stop, [&] { return fetches_ >= waitingFor; });
        if (stop.stop_requested()) {
            return absl::CancelledError("stopped");
        }
        if (!token_.empty()) {
            return token_;
        }
        return lastError_.ok() ? absl::UnavailableError("token for " + scope_ + " not available") : lastError_;
    }
    fetching_ = true;
    const AppCredentials creds = creds_;
    const uint64_t generation = credsGeneration_;
    lock.unlock();
    absl::StatusOr<Fetched> result = absl::InternalError("token fetch failed");
    try {
        result = fetchOnce(creds, stop);
    } catch (const std::exception& e) {  // waiters must never be left waiting for a fetch that died
        result = absl::InternalError(std::string("token fetch failed: ") + e.what());
    }
    lock.lock();
    fetching_ = false;
    ++fetches_;
    absl::StatusOr<std::string> out = result.ok() ? absl::StatusOr<std::string>(result->token) : result.status();
    if (generation == credsGeneration_) {  // credentials replaced meanwhile: keep nothing from the old ones
        lastFetchFailed_ = !result.ok();
        lastError_ = result.ok() ? absl::OkStatus() : result.status();
        if (result.ok()) {
            // Renew a minute early for clock skew; for short-lived tokens, at half-life.
            const long margin = result->expiresIn > 120 ? 60 : result->expiresIn / 2;
            token_ = result->token;
            renewAt_ = clock_.steadyNow() + std::chrono::seconds(result->expiresIn - margin);
            refreshes_.fetch_add(1, std::memory_order_relaxed);
        }
    }
    fetched_.notify_all();
    return out;
}

void TokenCache::invalidate(const std::string& token) {
    std::lock_guard lock(mu_);
    if (token == token_) {
        token_.clear();
    }
}

void TokenCache::setCredentials(AppCredentials creds) {
    std::lock_guard lock(mu_);
    creds_ = std::move(creds);
    ++credsGeneration_;
    token_.clear();
}

bool TokenCache::healthy() const {
    std::lock_guard lock(mu_);
    return !lastFetchFailed_ || (!token_.empty() && clock_.steadyNow() < renewAt_);
}

uint64_t TokenCache::refreshes() const { return refreshes_.load(std::memory_order_relaxed); }

absl::StatusOr<TokenCache::Fetched> TokenCache::fetchOnce(const AppCredentials& creds, std::stop_token stop) {
    HttpRequest req;
    req.method = "POST";
    req.url = creds.loginEndpoint + "/" + formEncode(creds.tenantId) + "/oauth2/v2.0/token";
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"}, {"Accept", "application/json"}};
    req.body = "client_id=" + formEncode(creds.appId) + "&client_secret=" + formEncode(creds.appSecret) +
               "&grant_type=client_credentials&scope=" + formEncode(scope_);
    req.timeout = std::chrono::seconds(30);
    common::Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(5));
    absl::Status last;
    for (int attempt = 0; attempt < 5; ++attempt) {
        HttpResponse resp = http_.send(req);
        if (resp.tlsVerificationFailed) {
            return absl::FailedPreconditionError("token endpoint: " + resp.transportError +
                                                 " (the server's TLS certificate is not trusted; see [msapi] ca_file)");
        }
        if (resp.answered() && resp.status == 200) {
            try {
                Poco::JSON::Parser parser;
                auto o = parser.parse(resp.body).extract<Poco::JSON::Object::Ptr>();
                std::string token = o->getValue<std::string>("access_token");
                long expiresIn = o->optValue<long>("expires_in", 3599);
                if (token.empty()) {
                    return absl::InternalError("token endpoint returned an empty access_token");
                }
                common::logDebug("token refreshed", {{"scope", scope_}, {"expires_in", std::to_string(expiresIn)}});
                return Fetched{token, expiresIn};
            } catch (const Poco::Exception& e) {
                return absl::InternalError("token endpoint returned malformed JSON: " + e.displayText());
            }
        }
        if (resp.answered() && resp.status >= 400 && resp.status < 500 && resp.status != 429) {
            // AAD errors are final: a wrong secret does not get better by retrying.
            std::string error = "HTTP " + std::to_string(resp.status);
            try {
                Poco::JSON::Parser parser;
                auto o = parser.parse(resp.body).extract<Poco::JSON::Object::Ptr>();
                std::string desc = o->optValue<std::string>("error_description", "");
                desc = desc.substr(0, desc.find("\r\n"));
                error = o->optValue<std::string>("error", error) + ": " + desc;
            } catch (const Poco::Exception&) {
            }
            auto msg = "token request for " + scope_ + " refused: " + error;
            return resp.status == 401 ? absl::UnauthenticatedError(msg) : absl::InvalidArgumentError(msg);
        }
        last = absl::UnavailableError("token endpoint: " + (resp.answered() ? "HTTP " + std::to_string(resp.status)
                                                                            : resp.transportError));
        common::logWarn("token request failed, retrying", {{"scope", scope_}, {"error", std::string(last.message())}});
        if (!clock_.sleepFor(backoff.next(), stop)) {
            return absl::CancelledError("stopped");
        }
    }
    return last;
}

}  // namespace tmsteams::msapi
