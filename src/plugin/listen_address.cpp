// The address a server actually listens on.
#include "plugin/listen_address.h"

#include <Poco/Net/SocketAddress.h>

namespace tmsteams::plugin {

std::string listenAddress(const Poco::Net::SocketAddress& requested, uint16_t boundPort) {
    std::string host = requested.host().toString();
    if (requested.family() == Poco::Net::AddressFamily::IPv6) {
        host = "[" + host + "]";
    }
    return host + ":" + std::to_string(boundPort);
}

}  // namespace tmsteams::plugin
