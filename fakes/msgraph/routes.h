// The fake's route handlers, one file per API area. Each takes the exchange and the state,
// and fills in the response exactly as the real service shapes it.
#pragma once

#include <string>

#include "exchange.h"
#include "fake_state.h"

namespace tmsteams::fakegraph {

// Names the route for stats and faults: "token", "graph.<area>", "bot.post", "bot.put",
// "control", "view", or "unknown".
std::string classifyRoute(const Exchange& ex);
// The conversation a Bot route addresses, or "".
std::string botConversation(const Exchange& ex);

void handleToken(Exchange& ex, FakeState& state);    // token_routes.cpp
void handleGraph(Exchange& ex, FakeState& state);    // graph_routes.cpp
void handleBot(Exchange& ex, FakeState& state);      // bot_routes.cpp
void handleControl(Exchange& ex, FakeState& state);  // control_routes.cpp
void handleView(Exchange& ex, FakeState& state, const std::string& assetsDir);  // browser_view.cpp

// Teams calling the bot: Bot Framework OpenID metadata and keys (under the mutex), and
// /_fake/invoke, which sends a signed card action to the bot (without it: the bot may call us).
void handleBotAuth(Exchange& ex, FakeState& state);  // invoke_routes.cpp
void handleInvoke(Exchange& ex, FakeState& state);   // invoke_routes.cpp

// Publishes an app package (zip) to the catalog, as a Teams admin upload does.
// `adminUpload`: the Teams admin center, where uploading a package with a known manifest id
// updates that app (200) instead of Graph's 409.
void publishAppPackage(Exchange& ex, FakeState& state, bool adminUpload = false);  // graph_routes.cpp

// Error bodies.
void graphError(Exchange& ex, int status, const std::string& code, const std::string& message);
void botError(Exchange& ex, int status, const std::string& code, const std::string& message);
// The default error code for an injected status.
std::string defaultErrorCode(int status, bool bot);

}  // namespace tmsteams::fakegraph
