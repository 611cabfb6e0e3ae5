// Fuzz target: everything the plugin parses from Microsoft (token endpoint, Graph, Bot
// Framework), driven through the real clients. The input scripts a sequence of answers
// (status, Retry-After, body); every call must end in a value or an error, never a crash.
#include FUZZED_DATA_PROVIDER_H  // from clang; the path comes from meson

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/log.h"
#include "mocks/fake_clock.h"
#include "msapi/api_caller.h"
#include "msapi/bot_client.h"
#include "msapi/graph_client.h"
#include "msapi/token_cache.h"

namespace {

using namespace tmsteams;

class ScriptedTransport final : public msapi::HttpTransport {
public:
    explicit ScriptedTransport(FuzzedDataProvider& in) : in_(in) {}
    msapi::HttpResponse send(const msapi::HttpRequest&) override {
        msapi::HttpResponse r;
        if (in_.remaining_bytes() == 0) {
            r.transportError = "input exhausted";
            return r;
        }
        static constexpr int Statuses[] = {200, 201, 204, 400, 401, 403, 404, 409, 412, 429, 500, 503, 302, 0};
        r.status = in_.PickValueInArray(Statuses);
        if (r.status == 0) {
            r.transportError = "connection reset";
            return r;
        }
        if (in_.ConsumeBool()) {
            r.headers["retry-after"] = in_.ConsumeRandomLengthString(40);
        }
        r.body = in_.ConsumeRandomLengthString(4096);
        return r;
    }

private:
    FuzzedDataProvider& in_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Retries log every failed answer; the log code still runs, the terminal stays readable.
    static const bool quiet = common::Logger::instance().setOutput("/dev/null");
    (void)quiet;
    FuzzedDataProvider in(data, size);
    ScriptedTransport http(in);
    testing::FakeClock clock;
    msapi::TokenCache tokens(http, clock, {"https://login.test", "tenant", "app", "secret"}, "scope");
    msapi::RetryPolicy policy;
    policy.maxAttempts = 3;
    msapi::ApiCaller caller(http, clock, tokens, policy);
    msapi::GraphClient graph(caller, "https://graph.test/v1.0");
    msapi::BotClient bot(caller, "https://bot.test/emea");
    const msapi::CallContext ctx{clock.steadyNow() + std::chrono::minutes(10), {}};
    while (in.remaining_bytes() > 0) {
        switch (in.ConsumeIntegralInRange(0, 7)) {
        case 0: (void)tokens.get(); break;
        case 1: (void)graph.getTeamsApp("ext-id", ctx); break;
        case 2: (void)graph.getUserByEmail("a@example.com", ctx); break;
        case 3: (void)graph.getAppForUser("user", "app", ctx); break;
        case 4: (void)graph.getChatForInstallation("user", "inst", ctx); break;
        case 5: (void)graph.getAppForTeam("team", "app", ctx); break;
        case 6: (void)bot.postActivity("19:c@thread.tacv2", "{}", ctx); break;
        default: (void)bot.updateActivity("19:c@thread.tacv2", "1", "{}", ctx); break;
        }
    }
    return 0;
}
