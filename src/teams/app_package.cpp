// The Teams app package.
#include "teams/app_package.h"

#include <sstream>

#include <Poco/DateTime.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Zip/Compress.h>

namespace tmsteams::teams {

namespace {
using Poco::JSON::Array;
using Poco::JSON::Object;
Object::Ptr obj() { return new Object(Poco::JSON_PRESERVE_KEY_ORDER); }
}  // namespace

std::string buildManifest(const ManifestOptions& o) {
    auto m = obj();
    m->set("$schema", std::string("https://developer.microsoft.com/en-us/json-schemas/teams/v") + ManifestVersion +
                          "/MicrosoftTeams.schema.json");
    m->set("manifestVersion", ManifestVersion);
    m->set("version", o.version);
    m->set("id", o.teamsAppId);
    auto dev = obj();
    dev->set("name", "Teleport access requests");
    dev->set("websiteUrl", "https://goteleport.com");
    dev->set("privacyUrl", "https://goteleport.com/legal/privacy/");
    dev->set("termsOfUseUrl", "https://goteleport.com/legal/tos/");
    m->set("developer", dev);
    auto name = obj();
    name->set("short", "TeleBot");
    name->set("full", "Teleport access requests");
    m->set("name", name);
    auto desc = obj();
    desc->set("short", "Teleport access requests in Teams");
    desc->set("full", "Sends Teleport access requests to their reviewers as cards, and keeps each card "
                      "up to date as reviews arrive and the request is approved, denied, promoted or expires.");
    m->set("description", desc);
    auto icons = obj();
    icons->set("color", "color.png");
    icons->set("outline", "outline.png");
    m->set("icons", icons);
    m->set("accentColor", "#512FC9");
    auto bot = obj();
    bot->set("botId", o.appId);
    Array::Ptr scopes = new Array;
    // personal: the daemon installs the app for each reviewer; team: channel recipients.
    scopes->add("personal");
    scopes->add("team");
    bot->set("scopes", scopes);
    bot->set("supportsFiles", false);
    // Notification-only bots cannot be talked to; card actions (Approve, Deny) need a bot that can.
    bot->set("isNotificationOnly", !o.interactive);
    Array::Ptr bots = new Array;
    bots->add(bot);
    m->set("bots", bots);
    Array::Ptr perms = new Array;
    perms->add("identity");
    perms->add("messageTeamMembers");
    m->set("permissions", perms);
    m->set("validDomains", Array::Ptr(new Array));
    // Graph lets an Azure AD app install a Teams app for users and teams (proactive installation)
    // only when the app's manifest names it here; without it installs are refused and listings
    // never show the app. The resource is not used by the bot; the Go plugin's placeholder is kept.
    auto webApp = obj();
    webApp->set("id", o.appId);
    webApp->set("resource", "https://inapplicable");
    m->set("webApplicationInfo", webApp);
    std::ostringstream os;
    m->stringify(os, 2);
    return os.str() + "\n";
}

std::string buildAppZip(const std::string& manifest, const std::string& colorPng, const std::string& outlinePng) {
    std::ostringstream zip;
    Poco::Zip::Compress c(zip, true);
    for (const auto& [name, data] : {std::pair<std::string, const std::string&>{"manifest.json", manifest},
                                     {"color.png", colorPng},
                                     {"outline.png", outlinePng}}) {
        std::istringstream in(data);
        c.addFile(in, Poco::DateTime(), name, Poco::Zip::ZipCommon::CM_DEFLATE, Poco::Zip::ZipCommon::CL_MAXIMUM);
    }
    c.close();
    return zip.str();
}

}  // namespace tmsteams::teams
