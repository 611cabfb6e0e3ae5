// Random RFC 4122 version 4 UUIDs, as Teleport and Microsoft use for ids.
#pragma once

#include <string>

namespace tmsteams::common {

std::string newUuid();

}  // namespace tmsteams::common
