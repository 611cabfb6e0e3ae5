// trompeloeil mock of teams::Messenger.
#pragma once

#include <trompeloeil.hpp>

#include "teams/messenger.h"

namespace tmsteams::testing {

class MockMessenger : public trompeloeil::mock_interface<teams::Messenger> {
public:
    IMPLEMENT_MOCK3(prepare);
    IMPLEMENT_MOCK4(post);
    IMPLEMENT_MOCK5(update);
    // Microsoft reached (the Teams app found); tests set it false to play the time before.
    bool reachable = true;
    bool ready() const override { return reachable; }
};

}  // namespace tmsteams::testing
