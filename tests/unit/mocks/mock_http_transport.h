// trompeloeil mock of msapi::HttpTransport.
#pragma once

#include <trompeloeil.hpp>

#include "msapi/http_transport.h"

namespace tmsteams::testing {

class MockHttpTransport : public trompeloeil::mock_interface<msapi::HttpTransport> {
public:
    IMPLEMENT_MOCK1(send);
};

}  // namespace tmsteams::testing
