// Bot Framework inbound token validation.
#include "msapi/bot_auth.h"

#include <algorithm>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <Poco/JSON/Parser.h>

#include "common/base64.h"
#include "common/log.h"

namespace tmsteams::msapi {

namespace {

using Poco::JSON::Object;

std::string utf8Field(const Object::Ptr& o, const std::string& name) {
    if (!o || !o->has(name) || !o->get(name).isString()) {
        return "";
    }
    return o->getValue<std::string>(name);
}

Object::Ptr parseObject(const std::string& text) {
    try {
        Poco::JSON::Parser p;
        return p.parse(text).extract<Object::Ptr>();
    } catch (const std::exception&) {
        return nullptr;
    }
}

absl::Status refused(const std::string& why) { return absl::UnauthenticatedError(why); }

// At most 16 characters of unauthenticated input, anything outside printable ASCII as '?'.
std::string printablePrefix(const std::string& text) {
    constexpr size_t Max = 16;
    std::string out;
    for (size_t i = 0; i < text.size() && i < Max; ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? static_cast<char>(c) : '?';
    }
    return text.size() > Max ? out + "..." : out;
}

// An RSA public key from a JWK's modulus and exponent.
EVP_PKEY* rsaKeyFromJwk(const std::string& n, const std::string& e) {
    BIGNUM* bn = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()), static_cast<int>(n.size()), nullptr);
    BIGNUM* be = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()), static_cast<int>(e.size()), nullptr);
    EVP_PKEY* key = nullptr;
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM* params = nullptr;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    if (bn && be && bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) && (params = OSSL_PARAM_BLD_to_param(bld)) &&
        EVP_PKEY_fromdata_init(ctx) > 0) {
        if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
            key = nullptr;
        }
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    return key;
}

bool verifyRs256(EVP_PKEY* key, const std::string& signedPart, const std::string& signature) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    bool ok = md && EVP_DigestVerifyInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestVerify(md, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                               reinterpret_cast<const unsigned char*>(signedPart.data()), signedPart.size()) == 1;
    EVP_MD_CTX_free(md);
    return ok;
}

}  // namespace

struct BotAuthenticator::Key {
    EVP_PKEY* pkey = nullptr;
    std::vector<std::string> endorsements;
    ~Key() { EVP_PKEY_free(pkey); }
};

BotAuthenticator::BotAuthenticator(HttpTransport& http, common::Clock& clock, BotAuthSettings settings)
    : http_(http), clock_(clock), settings_(std::move(settings)) {}

BotAuthenticator::~BotAuthenticator() = default;

absl::Status BotAuthenticator::refreshKeys(bool force) {
    const auto now = clock_.steadyNow();
    std::unique_lock lock(mu_);
    if (!keys_.empty() && !force && now - fetchedAt_ < settings_.keysMaxAge) {
        return absl::OkStatus();
    }
    if (fetching_) {
        // Single flight: wait for the fetch under way (the lock is not held meanwhile) and use it.
        const uint64_t waitingFor = fetches_ + 1;
        fetched_.wait(lock, [&] { return fetches_ >= waitingFor; });
        return keys_.empty() ? absl::UnavailableError("the Bot Framework signing keys are not loaded yet")
                             : absl::OkStatus();
    }
    // Tokens with unknown key ids, or a metadata endpoint that is down, must not let anyone
    // make us call Microsoft on every request: at most one attempt a minute.
    if (lastAttempt_ != std::chrono::steady_clock::time_point{} && now - lastAttempt_ < std::chrono::minutes(1)) {
        return keys_.empty() ? absl::UnavailableError("the Bot Framework signing keys are not loaded yet")
                             : absl::OkStatus();
    }
    lastAttempt_ = now;
    fetching_ = true;
    lock.unlock();
    absl::StatusOr<std::map<std::string, std::shared_ptr<Key>>> fresh = absl::InternalError("key fetch failed");
    try {
        fresh = fetchKeys();
    } catch (const std::exception& e) {  // waiters must never be left waiting for a fetch that died
        fresh = absl::UnavailableError(std::string("cannot read the Bot Framework signing keys: ") + e.what());
    }
    lock.lock();
    fetching_ = false;
    ++fetches_;
    fetched_.notify_all();
    if (!fresh.ok()) {
        return fresh.status();
    }
    keys_ = std::move(*fresh);
    fetchedAt_ = now;
    common::logInfo("Bot Framework signing keys loaded", {{"keys", std::to_string(keys_.size())}});
    return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, std::shared_ptr<BotAuthenticator::Key>>> BotAuthenticator::fetchKeys() {
    HttpRequest meta{"GET", settings_.openIdMetadataUrl, {}, "", std::chrono::milliseconds(5000)};
    auto m = http_.send(meta);
    auto metaObj = m.status == 200 ? parseObject(m.body) : nullptr;
    const std::string jwksUri = utf8Field(metaObj, "jwks_uri");
    if (jwksUri.empty()) {
        return absl::UnavailableError("cannot read the Bot Framework OpenID metadata (" +
                                      (m.answered() ? "HTTP " + std::to_string(m.status) : m.transportError) + ")");
    }
    auto k = http_.send({"GET", jwksUri, {}, "", std::chrono::milliseconds(5000)});
    auto jwks = k.status == 200 ? parseObject(k.body) : nullptr;
    if (!jwks || !jwks->isArray("keys")) {
        return absl::UnavailableError("cannot read the Bot Framework signing keys");
    }
    std::map<std::string, std::shared_ptr<Key>> fresh;
    auto list = jwks->getArray("keys");
    for (size_t i = 0; i < list->size(); ++i) {
        auto jwk = list->getObject(static_cast<unsigned>(i));
        if (!jwk || utf8Field(jwk, "kty") != "RSA") {
            continue;
        }
        auto n = common::base64UrlDecode(utf8Field(jwk, "n"));
        auto e = common::base64UrlDecode(utf8Field(jwk, "e"));
        const std::string kid = utf8Field(jwk, "kid");
        if (!n || !e || kid.empty()) {
            continue;
        }
        auto key = std::make_shared<Key>();
        key->pkey = rsaKeyFromJwk(*n, *e);
        if (!key->pkey) {
            continue;
        }
        if (jwk->isArray("endorsements")) {
            auto en = jwk->getArray("endorsements");
            for (size_t j = 0; j < en->size(); ++j) {
                if (en->get(static_cast<unsigned>(j)).isString()) {
                    key->endorsements.push_back(en->getElement<std::string>(static_cast<unsigned>(j)));
                }
            }
        }
        fresh[kid] = key;
    }
    if (fresh.empty()) {
        return absl::UnavailableError("the Bot Framework signing key set has no usable RSA key");
    }
    return fresh;
}

std::shared_ptr<BotAuthenticator::Key> BotAuthenticator::findKey(const std::string& kid) {
    std::lock_guard lock(mu_);
    auto it = keys_.find(kid);
    return it == keys_.end() ? nullptr : it->second;
}

absl::Status BotAuthenticator::authenticate(const std::string& authorization, const std::string& serviceUrl,
                                            const std::string& channelId) {
    // Only Teams vouches for from.aadObjectId and the tenant: a valid token for webchat or
    // directline proves nothing a review needs.
    if (channelId != "msteams") {
        return refused("the activity is not from Microsoft Teams (channel \"" + printablePrefix(channelId) + "\")");
    }
    constexpr std::string_view Bearer = "Bearer ";
    if (authorization.compare(0, Bearer.size(), Bearer) != 0) {
        return refused("no bearer token");
    }
    const std::string token = authorization.substr(Bearer.size());
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string::npos ? std::string::npos : token.find('.', dot1 + 1);
    if (dot2 == std::string::npos || token.find('.', dot2 + 1) != std::string::npos) {
        return refused("the token is not a JWT");
    }
    auto headerJson = common::base64UrlDecode(std::string_view(token).substr(0, dot1));
    auto payloadJson = common::base64UrlDecode(std::string_view(token).substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = common::base64UrlDecode(std::string_view(token).substr(dot2 + 1));
    auto header = headerJson ? parseObject(*headerJson) : nullptr;
    auto claims = payloadJson ? parseObject(*payloadJson) : nullptr;
    if (!header || !claims || !signature) {
        return refused("the token is malformed");
    }
    if (const std::string alg = utf8Field(header, "alg"); alg != "RS256") {
        // The header is not authenticated yet: only a short, printable prefix may reach the log.
        return refused("unexpected signing algorithm \"" + printablePrefix(alg) + "\"");
    }
    const std::string kid = utf8Field(header, "kid");
    if (auto s = refreshKeys(false); !s.ok() && !findKey(kid)) {
        return s;
    }
    auto key = findKey(kid);
    if (!key) {
        (void)refreshKeys(true);  // rotated keys
        key = findKey(kid);
    }
    if (!key) {
        return refused("the token is signed with an unknown key");
    }
    if (!verifyRs256(key->pkey, token.substr(0, dot2), *signature)) {
        return refused("the token signature is invalid");
    }
    // As botframework-connector: a key vouches only for the channels it is endorsed for, and a key
    // with no endorsements vouches for none.
    if (std::find(key->endorsements.begin(), key->endorsements.end(), channelId) == key->endorsements.end()) {
        return refused("the signing key is not endorsed for channel \"" + printablePrefix(channelId) + "\"");
    }
    if (utf8Field(claims, "iss") != settings_.issuer) {
        return refused("unexpected issuer \"" + utf8Field(claims, "iss") + "\"");
    }
    bool audienceOk = utf8Field(claims, "aud") == settings_.appId;
    if (!audienceOk && claims->isArray("aud")) {
        auto a = claims->getArray("aud");
        for (size_t i = 0; i < a->size() && !audienceOk; ++i) {
            audienceOk = a->get(static_cast<unsigned>(i)).isString() &&
                         a->getElement<std::string>(static_cast<unsigned>(i)) == settings_.appId;
        }
    }
    if (!audienceOk) {
        return refused("the token is for another audience");
    }
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock_.now().time_since_epoch()).count();
    const auto skew = settings_.clockSkew.count();
    auto number = [&](const char* name) -> std::optional<long long> {
        if (!claims->has(name)) {
            return std::nullopt;
        }
        // A NumericDate is a JSON number; "1700000000" as a string is refused, as jsonwebtoken does.
        const auto& v = claims->get(name);
        if (v.isString() || !v.isNumeric()) {
            return std::nullopt;
        }
        try {
            // Outside year 0..9999 is no time a token can carry (and would not fit the arithmetic).
            const double seconds = v.convert<double>();
            if (!(seconds >= 0 && seconds <= 253402300799.0)) {
                return std::nullopt;
            }
            return static_cast<long long>(seconds);
        } catch (const std::exception&) {
            return std::nullopt;
        }
    };
    auto exp = number("exp");
    if (!exp) {
        return refused("the token has no numeric exp claim");
    }
    if (*exp + skew < now) {
        return refused("the token has expired");
    }
    if (claims->has("nbf")) {
        auto nbf = number("nbf");
        if (!nbf) {
            return refused("the token's nbf claim is not a number");
        }
        if (*nbf - skew > now) {
            return refused("the token is not valid yet");
        }
    }
    if (utf8Field(claims, "serviceurl") != serviceUrl) {
        return refused("the token's serviceurl does not match the activity's");
    }
    return absl::OkStatus();
}

}  // namespace tmsteams::msapi
