// Checks an Adaptive Card the way Teams rejects bad ones: structure, element types, facts.
#pragma once

#include <optional>
#include <string>

#include <Poco/JSON/Object.h>

namespace tmsteams::fakegraph {

// Returns an error message for an invalid card, or nullopt when Teams would render it.
std::optional<std::string> validateAdaptiveCard(const Poco::JSON::Object::Ptr& card);

}  // namespace tmsteams::fakegraph
