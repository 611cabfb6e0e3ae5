// The fake's side of Teams calling a bot: RSA keys published as Bot Framework OpenID metadata,
// and tokens minted with them for activities sent to the bot's messaging endpoint. Forged
// variants (wrong key, audience, issuer, expired, unendorsed key, other serviceurl) let tests
// check that the bot refuses them.
#pragma once

#include <openssl/evp.h>

#include <string>
#include <vector>

namespace tmsteams::fakegraph {

inline constexpr const char* BotIssuer = "https://api.botframework.com";

class BotSigner {
public:
    // Key ids start with `kidPrefix` (a new prefix stands for rotated keys).
    explicit BotSigner(std::string kidPrefix = "fake");
    ~BotSigner();
    BotSigner(const BotSigner&) = delete;
    BotSigner& operator=(const BotSigner&) = delete;

    // The JWKS document: the signing key (endorsed for msteams) and one endorsed for webchat only.
    std::string jwks() const;
    // "Bearer <jwt>" for an activity to `audience` (the bot's app id) from `serviceUrl`.
    // `forge`: "" or one of forgeries(): a key not published ("wrong-key"), claims Microsoft's
    // validator refuses, a key endorsed for webchat only (used for a Teams activity, or for a
    // webchat one: "webchat-channel"), a key with no endorsements, exp/nbf as strings, an
    // oversized alg, and an activity with no tenant ("no-tenant", applied by the invoke route).
    std::string authorization(const std::string& audience, const std::string& serviceUrl,
                              const std::string& forge) const;
    // The activity's channelId for a forgery.
    static std::string channelFor(const std::string& forge);
    // Every forgery a bot must refuse.
    static const std::vector<std::string>& forgeries();

private:
    std::string kidPrefix_;
    EVP_PKEY* signing_ = nullptr;     // published, endorsed for msteams
    EVP_PKEY* unendorsed_ = nullptr;  // published, endorsed for webchat only
    EVP_PKEY* unpublished_ = nullptr;
    EVP_PKEY* bare_ = nullptr;        // published without endorsements
};

}  // namespace tmsteams::fakegraph
