// mTLS gRPC channels to a Teleport Auth Service, verified as Teleport clients do it.
#pragma once

#include <memory>
#include <string>

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>

#include "teleport/identity_file.h"

namespace tmsteams::teleport {

// Every Auth server certificate carries this DNS name; clients verify against it instead of
// the dialled host name, and send it as SNI.
inline constexpr const char* AuthServerName = "teleport.cluster.local";

// The API version we speak, sent as "version" metadata like Teleport's Go client: the protos we
// follow are Teleport 18's (api/version.go on that line; see proto/ and proto_numbers_test.cpp).
// Kept here only.
inline constexpr const char* ApiVersion = "18.0.0";

// Opens a channel to `addr` (host:port) presenting `creds`; the server is verified with the
// credentials' CAs under the name teleport.cluster.local.
std::shared_ptr<grpc::Channel> makeAuthChannel(const std::string& addr, const TlsCredentials& creds);

// Adds the metadata and the deadline that every call of ours carries. With `waitForReady`, a
// call made while the connection is down waits for it (up to the deadline) instead of failing.
void prepareContext(grpc::ClientContext& ctx, std::chrono::milliseconds timeout, bool waitForReady = false);

}  // namespace tmsteams::teleport
