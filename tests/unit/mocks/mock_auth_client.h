// trompeloeil mock of teleport::AuthClient.
#pragma once

#include <trompeloeil.hpp>

#include "teleport/auth_client.h"

namespace tmsteams::testing {

class MockAuthClient : public trompeloeil::mock_interface<teleport::AuthClient> {
public:
    IMPLEMENT_MOCK0(ping);
    IMPLEMENT_MOCK1(watchAccessRequests);
    IMPLEMENT_MOCK1(getPluginData);
    IMPLEMENT_MOCK0(listPluginData);
    IMPLEMENT_MOCK3(updatePluginData);
    IMPLEMENT_MOCK0(listAccessRequests);
    IMPLEMENT_MOCK1(getAccessRequest);
    IMPLEMENT_MOCK2(usersWithTrait);
    IMPLEMENT_MOCK1(getUser);
    IMPLEMENT_MOCK1(submitReview);
    IMPLEMENT_MOCK0(listAccessMonitoringRules);
    IMPLEMENT_MOCK2(listResourcesByName);
    IMPLEMENT_MOCK1(getRole);
};

}  // namespace tmsteams::testing
