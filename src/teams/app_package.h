// The Teams app package that configure writes and a Teams admin uploads: the manifest and
// app.zip (manifest and both icons at the zip root).
#pragma once

#include <string>

namespace tmsteams::teams {

inline constexpr const char* ManifestVersion = "1.22";
// The app's own version: Teams takes an uploaded package as an update only when this grows, so it
// moves whenever the manifest changes (1.1.0: webApplicationInfo added).
inline constexpr const char* AppVersion = "1.1.0";

struct ManifestOptions {
    std::string appId;       // the Entra ID app registration (client) id; also the bot id
    std::string teamsAppId;  // the manifest id (GUID), stable across configure runs
    std::string version = AppVersion;
    // Reviews from Teams: the bot takes card actions, so it is no longer notification-only.
    bool interactive = false;
};

std::string buildManifest(const ManifestOptions& o);
// A zip holding manifest.json, color.png and outline.png at its root.
std::string buildAppZip(const std::string& manifest, const std::string& colorPng, const std::string& outlinePng);

}  // namespace tmsteams::teams
