// One Microsoft API call with authentication and retries.
#include "msapi/api_caller.h"

#include <algorithm>
#include <ctime>

#include <Poco/DateTimeParser.h>
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include "common/backoff.h"
#include "common/log.h"

namespace tmsteams::msapi {

std::optional<std::chrono::milliseconds> parseRetryAfter(const std::string& value,
                                                         std::chrono::system_clock::time_point now) {
    if (value.empty()) {
        return std::nullopt;
    }
    if (std::all_of(value.begin(), value.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
        if (value.size() > 9) {
            return std::nullopt;
        }
        return std::chrono::seconds(std::stol(value));
    }
    try {
        int tzd = 0;
        Poco::DateTime when = Poco::DateTimeParser::parse(value, tzd);
        auto t = std::chrono::system_clock::from_time_t(when.timestamp().epochTime());
        auto d = std::chrono::duration_cast<std::chrono::milliseconds>(t - now);
        return std::max(d, std::chrono::milliseconds(0));
    } catch (const Poco::Exception&) {
        return std::nullopt;
    }
}

std::string describeError(const HttpResponse& resp) {
    try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(resp.body).extract<Poco::JSON::Object::Ptr>();
        if (auto err = o->getObject("error")) {
            return err->optValue<std::string>("code", "") + ": " + err->optValue<std::string>("message", "");
        }
        if (o->has("message")) {
            return o->getValue<std::string>("message");
        }
    } catch (const Poco::Exception&) {
    } catch (const std::exception&) {
    }
    std::string excerpt = resp.body.substr(0, 200);
    return excerpt.empty() ? "(empty body)" : excerpt;
}

namespace {

absl::Status statusFor(int code, const std::string& msg) {
    switch (code) {
    case 400:
    case 413:
        return absl::InvalidArgumentError(msg);
    case 401:
        return absl::UnauthenticatedError(msg);
    case 403:
        return absl::PermissionDeniedError(msg);
    case 404:
        return absl::NotFoundError(msg);
    case 409:
        return absl::AlreadyExistsError(msg);
    case 412:
    case 429:
        return absl::UnavailableError(msg);
    default:
        return code >= 500 ? absl::UnavailableError(msg) : absl::UnknownError(msg);
    }
}

}  // namespace

ApiCaller::ApiCaller(HttpTransport& http, common::Clock& clock, TokenCache& tokens, RetryPolicy policy)
    : http_(http), clock_(clock), tokens_(tokens), policy_(policy) {}

absl::StatusOr<HttpResponse> ApiCaller::call(const ApiCall& c, std::stop_token stop) {
    common::Backoff backoff(policy_.baseDelay, policy_.maxDelay);
    bool refreshedToken = false;
    absl::Status last;
    ++stats_.calls;
    for (int attempt = 0; attempt < policy_.maxAttempts; ++attempt) {
        if (c.pace && !c.pace(stop)) {
            ++stats_.failures;
            return stop.stop_requested() ? absl::CancelledError(c.what + ": stopped")
                                          : absl::DeadlineExceededError(c.what + ": no send slot under Teams' rate limits before the deadline");
        }
        auto token = tokens_.get(stop);
        if (!token.ok()) {
            ++stats_.failures;
            return absl::Status(token.status().code(), c.what + ": " + std::string(token.status().message()));
        }
        HttpRequest req;
        req.method = c.method;
        req.url = c.url;
        req.body = c.body;
        req.headers = {{"Authorization", "Bearer " + *token}, {"Accept", "application/json"}};
        if (!c.body.empty() || c.method == "POST" || c.method == "PUT") {
            req.headers.emplace_back("Content-Type", c.contentType);
        }
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(c.deadline - clock_.steadyNow());
        if (c.deadline.time_since_epoch().count() != 0) {
            if (remaining.count() <= 0) {
                break;
            }
            req.timeout = std::min(req.timeout, remaining);
        }
        auto sentAt = clock_.steadyNow();
        HttpResponse resp = http_.send(req);
        if (latency_) {
            latency_->observe(clock_.steadyNow() - sentAt);
        }
        bool success = resp.answered() &&
                       (c.expected.empty() ? (resp.status >= 200 && resp.status < 300)
                                           : std::find(c.expected.begin(), c.expected.end(), resp.status) != c.expected.end());
        if (success) {
            return resp;
        }
        std::optional<std::chrono::milliseconds> wait;
        if (!resp.answered()) {
            if (resp.tlsVerificationFailed) {
                ++stats_.failures;
                return absl::FailedPreconditionError(c.what + ": " + resp.transportError +
                                                     " (the server's TLS certificate is not trusted; see [msapi] ca_file)");
            }
            last = absl::UnavailableError(c.what + ": " + resp.transportError);
        } else {
            std::string msg = c.what + ": HTTP " + std::to_string(resp.status) + " " + describeError(resp);
            last = statusFor(resp.status, msg);
            if (resp.status == 401 && !refreshedToken) {
                // The token may have been revoked or expired early: fetch a new one, once.
                tokens_.invalidate(*token);
                refreshedToken = true;
                common::logWarn("token refused, fetching a new one", {{"call", c.what}});
                continue;
            }
            bool retryable = resp.status == 429 || resp.status >= 500 ||
                             (resp.status == 412 && policy_.retryPreconditionFailed);
            if (!retryable) {
                ++stats_.failures;
                return last;
            }
            if (resp.status == 429) {
                ++stats_.throttled;
            }
            wait = parseRetryAfter(resp.header("retry-after"), clock_.now());
        }
        auto delay = wait ? std::min(*wait, policy_.maxRetryAfter) : backoff.delay(attempt);
        if (c.deadline.time_since_epoch().count() != 0 && clock_.steadyNow() + delay >= c.deadline) {
            break;  // the wait would pass the deadline: report now rather than fail later
        }
        ++stats_.retries;
        common::logWarn("retrying Microsoft API call",
                        {{"call", c.what}, {"error", std::string(last.message())},
                         {"delay_ms", std::to_string(delay.count())}});
        if (!clock_.sleepFor(delay, stop)) {
            return absl::CancelledError(c.what + ": stopped");
        }
    }
    ++stats_.failures;
    if (last.ok()) {
        last = absl::DeadlineExceededError(c.what + ": deadline passed before the call could be made");
    }
    return last;
}

}  // namespace tmsteams::msapi
