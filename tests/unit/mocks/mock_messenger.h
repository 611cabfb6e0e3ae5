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
};

}  // namespace tmsteams::testing
