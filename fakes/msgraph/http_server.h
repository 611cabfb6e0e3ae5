// The fake's Poco HTTP(S) server: turns requests into Exchanges, applies latency and injected
// faults, dispatches to the routes and counts every answer.
#pragma once

#include <memory>
#include <string>

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "fake_state.h"

namespace tmsteams::fakegraph {

class FakeRequestHandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
public:
    FakeRequestHandlerFactory(FakeState& state, std::string assetsDir)
        : state_(state), assetsDir_(std::move(assetsDir)) {}

    // Poco::Net::HTTPRequestHandlerFactory
    Poco::Net::HTTPRequestHandler* createRequestHandler(
        const Poco::Net::HTTPServerRequest& request) override;

private:
    FakeState& state_;
    std::string assetsDir_;
};

}  // namespace tmsteams::fakegraph
