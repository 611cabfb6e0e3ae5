// fake-tctl's command line: positional words and --flags, and how it ends on an error.
#pragma once

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <grpcpp/channel.h>

namespace faketctl {

[[noreturn]] inline void die(const std::string& msg, int code = 1) {
    std::cerr << "fake-tctl: " << msg << "\n";
    std::exit(code);
}

// Positional words and --flags; a flag named in `valued` takes the next word.
struct Args {
    std::vector<std::string> words;
    std::multimap<std::string, std::string> flags;

    bool has(const std::string& f) const { return flags.count(f) > 0; }
    std::string get(const std::string& f, const std::string& def = "") const {
        auto it = flags.find(f);
        return it == flags.end() ? def : it->second;
    }
    std::vector<std::string> all(const std::string& f) const {
        std::vector<std::string> out;
        auto [b, e] = flags.equal_range(f);
        for (auto it = b; it != e; ++it) {
            out.push_back(it->second);
        }
        return out;
    }
};


// splitOn("a,b,,c", ',') → {a, b, c}: empty items are dropped.
inline std::vector<std::string> splitOn(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, sep)) {
        if (!item.empty()) {
            out.push_back(item);
        }
    }
    return out;
}

// "a,b,,c" → {a, b, c}
inline std::vector<std::string> splitCsv(const std::string& s) { return splitOn(s, ','); }

// `rule create|ls|rm` (rule_commands.cpp).
int cmdRule(const std::shared_ptr<grpc::Channel>& channel, std::chrono::milliseconds timeout, const Args& a);

}  // namespace faketctl
