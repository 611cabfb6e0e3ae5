// mTLS gRPC channels to a Teleport Auth Service.
#include "teleport/grpc_channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

namespace tmsteams::teleport {

std::shared_ptr<grpc::Channel> makeAuthChannel(const std::string& addr, const TlsCredentials& creds) {
    grpc::SslCredentialsOptions opts;
    opts.pem_root_certs = creds.caBundle();
    opts.pem_private_key = creds.privateKeyPem;
    opts.pem_cert_chain = creds.certPem;
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(AuthServerName);
    // Teleport's Go client caps reconnect backoff at 2 s; keep pings off (the server enforces
    // a minimum ping interval and answers aggressive pings with GOAWAY).
    // (grpc's "min reconnect backoff" is really the connect timeout: leave it at its default, or
    // TLS handshakes with a busy server time out forever.)
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
    args.SetMaxReceiveMessageSize(64 * 1024 * 1024);
    return grpc::CreateCustomChannel(addr, grpc::SslCredentials(opts), args);
}

void prepareContext(grpc::ClientContext& ctx, std::chrono::milliseconds timeout, bool waitForReady) {
    ctx.AddMetadata("version", ApiVersion);
    ctx.set_wait_for_ready(waitForReady);
    if (timeout.count() > 0) {
        ctx.set_deadline(std::chrono::system_clock::now() + timeout);
    }
}

}  // namespace tmsteams::teleport
