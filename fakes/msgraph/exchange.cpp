// Request/response plumbing for the fake's routes.
#include "exchange.h"

#include <sstream>

#include <Poco/JSON/Parser.h>
#include <Poco/JSON/Stringifier.h>

namespace tmsteams::fakegraph {

std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

std::string Exchange::seg(size_t i) const { return i < segments.size() ? lower(segments[i]) : ""; }

std::string Exchange::param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? "" : it->second;
}

std::string Exchange::header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? "" : it->second;
}

std::string Exchange::bearerToken() const {
    std::string auth = header("authorization");
    if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ") {
        return auth.substr(7);
    }
    return "";
}

Poco::JSON::Object::Ptr Exchange::bodyObject() {
    try {
        Poco::JSON::Parser p;
        auto v = p.parse(body);
        if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
            return v.extract<Poco::JSON::Object::Ptr>();
        }
    } catch (const std::exception&) {
    }
    json(400, R"({"error":"the body must be a JSON object"})");
    return nullptr;
}

void Exchange::json(int code, const Poco::JSON::Object::Ptr& obj) { json(code, toJson(obj)); }

void Exchange::json(int code, const std::string& text) {
    status = code;
    contentType = "application/json; charset=utf-8";
    responseBody = text;
}

void Exchange::empty(int code) {
    status = code;
    responseBody.clear();
}

std::string percentDecode(const std::string& s, bool plusIsSpace) {
    std::string out;
    out.reserve(s.size());
    for (size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (c == '+' && plusIsSpace) {
            out += ' ';
        } else if (c == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
                   std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::multimap<std::string, std::string> parseForm(const std::string& text) {
    std::multimap<std::string, std::string> out;
    size_t start = 0;
    while (start <= text.size()) {
        size_t amp = text.find('&', start);
        std::string pair = text.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        if (!pair.empty()) {
            size_t eq = pair.find('=');
            std::string k = percentDecode(pair.substr(0, eq), true);
            std::string v = eq == std::string::npos ? "" : percentDecode(pair.substr(eq + 1), true);
            out.emplace(k, v);
        }
        if (amp == std::string::npos) {
            break;
        }
        start = amp + 1;
    }
    return out;
}

bool parseEqFilter(const std::string& filter, std::string& field, std::string& literal) {
    size_t i = 0;
    auto skipSpaces = [&] {
        while (i < filter.size() && filter[i] == ' ') {
            ++i;
        }
    };
    skipSpaces();
    size_t f = i;
    while (i < filter.size() && filter[i] != ' ') {
        ++i;
    }
    field = filter.substr(f, i - f);
    skipSpaces();
    if (lower(filter.substr(i, 2)) != "eq") {
        return false;
    }
    i += 2;
    skipSpaces();
    if (i >= filter.size() || filter[i] != '\'') {
        return false;
    }
    ++i;
    literal.clear();
    for (;;) {
        if (i >= filter.size()) {
            return false;  // unterminated literal
        }
        if (filter[i] == '\'') {
            if (i + 1 < filter.size() && filter[i + 1] == '\'') {
                literal += '\'';
                i += 2;
                continue;
            }
            ++i;
            break;
        }
        literal += filter[i++];
    }
    skipSpaces();
    return i == filter.size() && !field.empty();
}

std::string toJson(const Poco::JSON::Object::Ptr& obj) {
    std::ostringstream os;
    obj->stringify(os);
    return os.str();
}

Poco::JSON::Object::Ptr newObject() { return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER); }

}  // namespace tmsteams::fakegraph
