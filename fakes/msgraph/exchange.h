// One HTTP request and its response as the fake's routes see them: decoded path segments,
// form-decoded query, body; the route fills in status, headers and body.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include <Poco/JSON/Object.h>

namespace tmsteams::fakegraph {

struct Exchange {
    std::string method;                          // "GET", "POST", ...
    std::string rawPath;                         // as received, before percent-decoding
    std::vector<std::string> segments;           // percent-decoded path segments
    std::multimap<std::string, std::string> query;  // form-decoded ('+' is a space)
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
    std::chrono::steady_clock::time_point received;  // when the whole request had arrived
    // Wall-clock ms when the simulated service takes the call: arrival plus the route's latency.
    // A posted card's receivedMs, so it never includes waits for this fake's own lock.
    int64_t answeredMs = 0;

    int status = 200;
    std::string contentType = "application/json; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> responseHeaders;
    std::string responseBody;
    std::string routeKey;  // for stats and faults: "token", "graph.users", "bot.post", ...

    // Segment i lower-cased, or "" past the end.
    std::string seg(size_t i) const;
    // First value of a query parameter, or "".
    std::string param(const std::string& name) const;
    std::string header(const std::string& lowerName) const;
    // The bearer token of the Authorization header, or "".
    std::string bearerToken() const;

    // The body as a JSON object; null (and a 400 answer already set) when it is not one.
    Poco::JSON::Object::Ptr bodyObject();

    void json(int code, const Poco::JSON::Object::Ptr& obj);
    void json(int code, const std::string& body);
    void empty(int code);
};

// Decodes application/x-www-form-urlencoded text ('+' is a space; %XX).
std::multimap<std::string, std::string> parseForm(const std::string& text);
std::string percentDecode(const std::string& s, bool plusIsSpace);
std::string lower(std::string s);

// Parses one OData comparison `FIELD eq 'LITERAL'` (doubled quotes inside the literal mean
// one quote). Returns false when the filter has another shape.
bool parseEqFilter(const std::string& filter, std::string& field, std::string& literal);

std::string toJson(const Poco::JSON::Object::Ptr& obj);
Poco::JSON::Object::Ptr newObject();

}  // namespace tmsteams::fakegraph
