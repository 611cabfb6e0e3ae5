// A running fake-msgraph with helpers for tokens, app publishing and inspection.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

#include "http_client.h"
#include "process.h"

namespace tmsteams::testsupport {

// Ids in the shipped directory (fakes/msgraph/directory.json).
namespace directory {
inline const std::string Tenant = "4b2a9f5e-6d0c-4c8e-9a51-2f7d3e8b1c60";
inline const std::string AppId = "8f3e2a71-5c4b-4d9e-b6a0-1e2f3a4b5c6d";
inline const std::string AppSecret = "fake~Secret.With\"Quotes\\&Plus+Signs";
inline const std::string LimitedAppId = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
inline const std::string LimitedAppSecret = "no-team-permission";
inline const std::string Alice = "6b1e0f43-2d7a-4c55-9e3b-81f2a6c4d9e0";
inline const std::string Bob = "a7c3e5d1-9b2f-4e80-b6d4-3f1a2c5e7b90";
inline const std::string Team = "2f6c8e0a-4b1d-4f3e-a5c7-9d0e2f4a6c81";
inline const std::string Channel = "19:3a9d7c5e1f0b4a2c8e6d4f2a0c8e6b4d@thread.tacv2";
}  // namespace directory

inline const std::string GraphScope = "https://graph.microsoft.com/.default";
inline const std::string BotScope = "https://api.botframework.com/.default";

class FakeGraph {
public:
    explicit FakeGraph(const std::string& logDir, std::vector<std::string> extraArgs = {});

    const std::string& url() const { return url_; }
    const std::string& caFile() const { return caFile_; }
    Process& process() { return *proc_; }

    HttpResponse tokenRequest(const std::string& appId, const std::string& secret,
                              const std::string& scope, const std::string& tenant = directory::Tenant);
    // A token for the directory's main app; throws if the fake refuses.
    std::string token(const std::string& scope, const std::string& appId = directory::AppId,
                      const std::string& secret = directory::AppSecret);

    // An app.zip holding a manifest with `manifestId` and bot `botId`, and both icons.
    static std::string appPackage(const std::string& manifestId, const std::string& botId);
    // Publishes a package for the main app and returns the catalog id.
    std::string publishApp(const std::string& manifestId);

    HttpResponse graph(const std::string& method, const std::string& pathAndQuery,
                       const std::string& token, const std::string& body = "",
                       const std::string& contentType = "application/json");
    HttpResponse bot(const std::string& method, const std::string& pathAndQuery,
                     const std::string& token, const std::string& body);
    HttpResponse control(const std::string& method, const std::string& path, const std::string& body = "");

    // Installs the catalog app for a user and returns the personal chat id.
    std::string installAndGetChat(const std::string& graphToken, const std::string& userId,
                                  const std::string& catalogId);

private:
    std::unique_ptr<Process> proc_;
    std::string url_;
    std::string caFile_;
};

// Parses a JSON object (throws on anything else).
Poco::JSON::Object::Ptr parseObject(const std::string& json);

// An activity whose card shows `text`, in the shape the daemon sends.
std::string cardActivity(const std::string& text);

}  // namespace tmsteams::testsupport
