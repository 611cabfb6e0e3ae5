// The Microsoft side wired from the config: one HTTP transport, a token cache per audience,
// retrying callers, and the Graph and Bot Framework clients. Shared by start, validate and
// uninstall.
#pragma once

#include <memory>

#include "common/clock.h"
#include "msapi/bot_client.h"
#include "msapi/curl_http_transport.h"
#include "msapi/graph_client.h"
#include "plugin/config.h"

namespace tmsteams::plugin {

struct MsApiStack {
    std::unique_ptr<msapi::CurlHttpTransport> http;
    std::unique_ptr<msapi::TokenCache> graphTokens;
    std::unique_ptr<msapi::TokenCache> botTokens;
    std::unique_ptr<msapi::ApiCaller> graphCaller;
    std::unique_ptr<msapi::ApiCaller> botCaller;
    std::unique_ptr<msapi::BotPacer> pacer;
    std::unique_ptr<msapi::GraphClient> graph;
    std::unique_ptr<msapi::BotClient> bot;

    static std::unique_ptr<MsApiStack> create(const MsApiConfig& config, common::Clock& clock,
                                              msapi::RetryPolicy graphPolicy = {});
};

}  // namespace tmsteams::plugin
