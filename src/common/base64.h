// Standard base64 (RFC 4648, padded), as Go's base64.StdEncoding, and its URL-safe variant.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tmsteams::common {

std::string base64Encode(std::string_view in);
// Strict: nullopt unless `in` is canonical padded base64.
std::optional<std::string> base64Decode(std::string_view in);

// base64url without padding (RFC 7515), as JWTs use it.
std::string base64UrlEncode(std::string_view in);
std::optional<std::string> base64UrlDecode(std::string_view in);

}  // namespace tmsteams::common
