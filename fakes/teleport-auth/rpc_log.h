// One log line per RPC of the fake, and Teleport's wording for a refusal.
#pragma once

#include <chrono>
#include <string>

#include <grpcpp/grpcpp.h>

#include "common/log.h"
#include "fake_auth_service.h"

namespace tmsteams::fakeauth {

const char* codeName(grpc::StatusCode c);

// Logs one line per RPC when it ends, with the caller, the outcome and the duration.
class RpcLog {
public:
    RpcLog(const char* method, const grpc::ServerContext& ctx, std::string detail = {})
        : method_(method), user_(callerUser(ctx)), detail_(std::move(detail)),
          start_(std::chrono::steady_clock::now()) {}

    grpc::Status done(grpc::Status s) {
        auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - start_).count();
        common::logInfo("rpc", {{"method", method_},
                                {"user", user_},
                                {"code", codeName(s.error_code())},
                                {"ms", std::to_string(ms)},
                                {"detail", detail_},
                                {"error", s.error_message()}});
        return s;
    }
    const std::string& user() const { return user_; }

private:
    const char* method_;
    std::string user_;
    std::string detail_;
    std::chrono::steady_clock::time_point start_;
};

inline grpc::Status denied(const std::string& user, const char* what) {
    return grpc::Status(grpc::PERMISSION_DENIED,
                        "access denied to perform action \"" + std::string(what) +
                            "\" for user \"" + user + "\"");
}

}  // namespace tmsteams::fakeauth
