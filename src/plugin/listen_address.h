// The address a server actually listens on, as "host:port" ("[::1]:port" for IPv6), so a
// configured port 0 shows the port the kernel picked.
#pragma once

#include <cstdint>
#include <string>

namespace Poco::Net {
class SocketAddress;
}

namespace tmsteams::plugin {

std::string listenAddress(const Poco::Net::SocketAddress& requested, uint16_t boundPort);

}  // namespace tmsteams::plugin
