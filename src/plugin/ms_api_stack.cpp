// The Microsoft side wired from the config.
#include "plugin/ms_api_stack.h"

namespace tmsteams::plugin {

std::unique_ptr<MsApiStack> MsApiStack::create(const MsApiConfig& mc, common::Clock& clock,
                                               msapi::RetryPolicy graphPolicy) {
    auto s = std::make_unique<MsApiStack>();
    s->http = std::make_unique<msapi::CurlHttpTransport>(mc.caFile);
    msapi::AppCredentials app{mc.loginEndpoint, mc.tenantId, mc.appId, mc.appSecret};
    s->graphTokens = std::make_unique<msapi::TokenCache>(*s->http, clock, app, mc.graphScope);
    s->botTokens = std::make_unique<msapi::TokenCache>(*s->http, clock, app, mc.botScope);
    s->graphCaller = std::make_unique<msapi::ApiCaller>(*s->http, clock, *s->graphTokens, graphPolicy);
    msapi::RetryPolicy botPolicy = graphPolicy;
    botPolicy.retryPreconditionFailed = true;  // Teams asks bots to retry 412
    s->botCaller = std::make_unique<msapi::ApiCaller>(*s->http, clock, *s->botTokens, botPolicy);
    s->graph = std::make_unique<msapi::GraphClient>(*s->graphCaller, mc.graphEndpoint + "/v1.0");
    if (mc.botPacing) {
        s->pacer = std::make_unique<msapi::BotPacer>(clock);
    }
    s->bot = std::make_unique<msapi::BotClient>(*s->botCaller, mc.botEndpoint + "/" + mc.region, s->pacer.get());
    return s;
}

}  // namespace tmsteams::plugin
