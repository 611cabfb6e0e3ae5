// The Teams app's icons: a ring with a check mark, drawn with supersampled coverage.
#include "teams/icons.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <Poco/Checksum.h>
#include <Poco/DeflatingStream.h>

namespace tmsteams::teams {

namespace {

void put32(std::string& out, uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) {
        out += static_cast<char>((v >> s) & 0xFF);
    }
}

void chunk(std::string& png, const char* type, const std::string& data) {
    put32(png, static_cast<uint32_t>(data.size()));
    std::string typed = std::string(type, 4) + data;
    png += typed;
    Poco::Checksum crc(Poco::Checksum::TYPE_CRC32);
    crc.update(typed.data(), static_cast<unsigned>(typed.size()));
    put32(png, crc.checksum());
}

double segmentDistance(double px, double py, double ax, double ay, double bx, double by) {
    double vx = bx - ax, vy = by - ay;
    double t = std::clamp(((px - ax) * vx + (py - ay) * vy) / (vx * vx + vy * vy), 0.0, 1.0);
    double dx = px - (ax + t * vx), dy = py - (ay + t * vy);
    return std::sqrt(dx * dx + dy * dy);
}

// Coverage (0..1) of the glyph at a point in unit coordinates (0..1 across the icon): a ring
// and a check mark inside it.
bool insideGlyph(double x, double y) {
    double dx = x - 0.5, dy = y - 0.5;
    double r = std::sqrt(dx * dx + dy * dy);
    bool ring = r > 0.36 && r < 0.44;
    double d = std::min(segmentDistance(x, y, 0.32, 0.52, 0.45, 0.65), segmentDistance(x, y, 0.45, 0.65, 0.69, 0.38));
    return ring || d < 0.055;
}

double coverage(double x0, double y0, double pixel) {
    constexpr int n = 4;
    int hits = 0;
    for (int i = 0; i < n; ++i) {
        for (int j = 0; j < n; ++j) {
            hits += insideGlyph(x0 + (i + 0.5) * pixel / n, y0 + (j + 0.5) * pixel / n);
        }
    }
    return hits / double(n * n);
}

}  // namespace

std::string encodePng(uint32_t width, uint32_t height, const std::vector<uint8_t>& rgba) {
    std::string png = "\x89PNG\r\n\x1a\n";
    std::string ihdr;
    put32(ihdr, width);
    put32(ihdr, height);
    ihdr += std::string("\x08\x06\x00\x00\x00", 5);  // 8-bit RGBA, no interlace
    chunk(png, "IHDR", ihdr);
    std::ostringstream compressed;
    {
        Poco::DeflatingOutputStream z(compressed, Poco::DeflatingStreamBuf::STREAM_ZLIB, 9);
        for (uint32_t y = 0; y < height; ++y) {
            z.put('\0');  // filter: none
            z.write(reinterpret_cast<const char*>(rgba.data()) + size_t(y) * width * 4, width * 4);
        }
        z.close();
    }
    chunk(png, "IDAT", compressed.str());
    chunk(png, "IEND", "");
    return png;
}

std::string colorIconPng() {
    const uint32_t size = 192;
    std::vector<uint8_t> px(size * size * 4);
    for (uint32_t y = 0; y < size; ++y) {
        for (uint32_t x = 0; x < size; ++x) {
            // A diagonal violet-to-indigo background, the glyph in white on top.
            double t = (x + y) / double(2 * size);
            double bgR = 0x6B + (0x2E - 0x6B) * t, bgG = 0x3F + (0x1F - 0x3F) * t, bgB = 0xE0 + (0x9A - 0xE0) * t;
            double c = coverage(x / double(size), y / double(size), 1.0 / size);
            uint8_t* p = &px[(size_t(y) * size + x) * 4];
            p[0] = static_cast<uint8_t>(std::lround(bgR + (255 - bgR) * c));
            p[1] = static_cast<uint8_t>(std::lround(bgG + (255 - bgG) * c));
            p[2] = static_cast<uint8_t>(std::lround(bgB + (255 - bgB) * c));
            p[3] = 255;
        }
    }
    return encodePng(size, size, px);
}

std::string outlineIconPng() {
    const uint32_t size = 32;
    std::vector<uint8_t> px(size * size * 4);
    for (uint32_t y = 0; y < size; ++y) {
        for (uint32_t x = 0; x < size; ++x) {
            double c = coverage(x / double(size), y / double(size), 1.0 / size);
            uint8_t* p = &px[(size_t(y) * size + x) * 4];
            p[0] = p[1] = p[2] = 255;  // white, as Teams requires for outlines
            p[3] = static_cast<uint8_t>(std::lround(255 * c));
        }
    }
    return encodePng(size, size, px);
}

}  // namespace tmsteams::teams
