// Reading typed values from the TOML tree, with errors that name file, line and key.
// Internal to the config parser.
#pragma once

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <toml++/toml.h>

namespace tmsteams::plugin::configtoml {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

inline std::string where(const std::string& path, const toml::node& node, const std::string& key) {
    return path + ":" + std::to_string(node.source().begin.line) + ": " + key;
}

inline std::string getString(const std::string& path, const toml::table& t, const std::string& section,
                      const std::string& key, const std::string& def) {
    const toml::node* n = t.get(key);
    if (!n) {
        return def;
    }
    auto v = n->value<std::string>();
    if (!n->is_string() || !v) {
        throw ConfigError(where(path, *n, section + key) + ": must be a string");
    }
    return *v;
}

inline bool getBool(const std::string& path, const toml::table& t, const std::string& section, const std::string& key,
             bool def) {
    const toml::node* n = t.get(key);
    if (!n) {
        return def;
    }
    if (!n->is_boolean()) {
        throw ConfigError(where(path, *n, section + key) + ": must be true or false");
    }
    return *n->value<bool>();
}

inline void warnUnknown(const std::string& path, const toml::table& t, const std::string& section,
                 const std::set<std::string>& known, std::vector<std::string>& warnings) {
    for (const auto& [k, v] : t) {
        std::string key(k.str());
        if (!known.count(key)) {
            warnings.push_back(where(path, v, section + key) + ": unknown key, ignored");
        }
    }
}

}  // namespace tmsteams::plugin::configtoml
