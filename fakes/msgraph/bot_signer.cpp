// Keys and tokens for activities the fake sends to a bot.
#include "bot_signer.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include <chrono>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/base64.h"
#include "common/json_escape.h"

namespace tmsteams::fakegraph {

namespace {

std::string bigEndian(EVP_PKEY* key, const char* param) {
    BIGNUM* bn = nullptr;
    if (EVP_PKEY_get_bn_param(key, param, &bn) != 1) {
        throw std::runtime_error("cannot read the RSA key");
    }
    std::vector<unsigned char> buf(static_cast<size_t>(BN_num_bytes(bn)));
    BN_bn2bin(bn, buf.data());
    BN_free(bn);
    return std::string(buf.begin(), buf.end());
}

// A JWK; `endorsement` null leaves the key without an endorsements list.
std::string jwk(EVP_PKEY* key, const std::string& kid, const char* endorsement) {
    return "{\"kty\":\"RSA\",\"use\":\"sig\",\"kid\":\"" + kid + "\",\"n\":\"" +
           common::base64UrlEncode(bigEndian(key, OSSL_PKEY_PARAM_RSA_N)) + "\",\"e\":\"" +
           common::base64UrlEncode(bigEndian(key, OSSL_PKEY_PARAM_RSA_E)) + "\"" +
           (endorsement ? std::string(",\"endorsements\":[\"") + endorsement + "\"]" : std::string()) + "}";
}

std::string sign(EVP_PKEY* key, const std::string& data) {
    EVP_MD_CTX* md = EVP_MD_CTX_new();
    size_t len = 0;
    std::string sig;
    if (md && EVP_DigestSignInit(md, nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestSign(md, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1) {
        sig.resize(len);
        if (EVP_DigestSign(md, reinterpret_cast<unsigned char*>(sig.data()), &len,
                           reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
            sig.clear();
        }
        sig.resize(len);
    }
    EVP_MD_CTX_free(md);
    return sig;
}

}  // namespace

BotSigner::BotSigner(std::string kidPrefix)
    : kidPrefix_(std::move(kidPrefix)), signing_(EVP_RSA_gen(2048)), unendorsed_(EVP_RSA_gen(2048)), unpublished_(EVP_RSA_gen(2048)),
      bare_(EVP_RSA_gen(2048)) {
    if (!signing_ || !unendorsed_ || !unpublished_ || !bare_) {
        throw std::runtime_error("cannot generate RSA keys");
    }
}

BotSigner::~BotSigner() {
    EVP_PKEY_free(signing_);
    EVP_PKEY_free(unendorsed_);
    EVP_PKEY_free(unpublished_);
    EVP_PKEY_free(bare_);
}

std::string BotSigner::jwks() const {
    return "{\"keys\":[" + jwk(signing_, kidPrefix_ + "-teams-1", "msteams") + "," +
           jwk(unendorsed_, kidPrefix_ + "-webchat-1", "webchat") + "," + jwk(bare_, kidPrefix_ + "-bare-1", nullptr) +
           "]}";
}

std::string BotSigner::authorization(const std::string& audience, const std::string& serviceUrl,
                                     const std::string& forge) const {
    const long long now =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    EVP_PKEY* key = signing_;
    std::string kid = kidPrefix_ + "-teams-1";
    if (forge == "wrong-key") {
        key = unpublished_;  // claims the published kid, signed with another key
    } else if (forge == "unendorsed" || forge == "webchat-channel") {
        key = unendorsed_;
        kid = kidPrefix_ + "-webchat-1";
    } else if (forge == "no-endorsements") {
        key = bare_;
        kid = kidPrefix_ + "-bare-1";
    }
    const long long exp = forge == "expired" ? now - 3600 : now + 3600;
    // Microsoft's validator takes NumericDate claims as JSON numbers only.
    const std::string expText = forge == "string-exp" ? "\"" + std::to_string(exp) + "\"" : std::to_string(exp);
    const std::string nbfText =
        forge == "string-nbf" ? "\"" + std::to_string(now - 300) + "\"" : std::to_string(now - 300);
    // A long algorithm name: the receiver must not log unauthenticated input in full.
    const std::string alg = forge == "long-alg" ? "RS256" + std::string(4000, 'A') + "-SECRET-TAIL" : "RS256";
    const std::string header = "{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\",\"typ\":\"JWT\"}";
    const std::string claims =
        "{\"iss\":" + common::jsonQuote(forge == "wrong-issuer" ? "https://sts.windows.net/attacker/" : BotIssuer) +
        ",\"aud\":" + common::jsonQuote(forge == "wrong-audience" ? "00000000-0000-0000-0000-000000000000" : audience) +
        ",\"nbf\":" + nbfText + ",\"exp\":" + expText +
        ",\"serviceurl\":" + common::jsonQuote(forge == "wrong-serviceurl" ? "https://attacker.example/" : serviceUrl) +
        "}";
    const std::string signedPart = common::base64UrlEncode(header) + "." + common::base64UrlEncode(claims);
    return "Bearer " + signedPart + "." + common::base64UrlEncode(sign(key, signedPart));
}

}  // namespace tmsteams::fakegraph

namespace tmsteams::fakegraph {

std::string BotSigner::channelFor(const std::string& forge) { return forge == "webchat-channel" ? "webchat" : "msteams"; }

const std::vector<std::string>& BotSigner::forgeries() {
    static const std::vector<std::string> all = {"wrong-key",       "wrong-audience", "wrong-issuer",
                                                 "expired",         "unendorsed",     "wrong-serviceurl",
                                                 "webchat-channel", "no-tenant",      "no-endorsements",
                                                 "string-exp",      "string-nbf",     "long-alg"};
    return all;
}

}  // namespace tmsteams::fakegraph
