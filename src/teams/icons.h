// The Teams app's icons, drawn by the project: a full-colour 192x192 icon and a 32x32 white
// outline on transparency, as Microsoft's manifest guidance asks. Both are PNG bytes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace tmsteams::teams {

std::string colorIconPng();
std::string outlineIconPng();

// Encodes 8-bit RGBA pixels (row-major, width*height*4 bytes) as a PNG.
std::string encodePng(uint32_t width, uint32_t height, const std::vector<uint8_t>& rgba);

}  // namespace tmsteams::teams
