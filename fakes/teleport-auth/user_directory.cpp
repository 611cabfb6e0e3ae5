// The fake cluster's people.
#include "user_directory.h"

#include <algorithm>
#include <sstream>

namespace tmsteams::fakeauth {

namespace {
std::vector<std::string> splitOn(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    std::string part;
    while (std::getline(in, part, sep)) {
        if (!part.empty()) {
            out.push_back(part);
        }
    }
    return out;
}
}  // namespace

bool UserDirectory::add(const std::string& spec) {
    // A trait value may itself hold ':'; everything after the second field is traits.
    Person p;
    auto first = spec.find(':');
    p.name = spec.substr(0, first);
    if (p.name.empty()) {
        return false;
    }
    if (first != std::string::npos) {
        auto second = spec.find(':', first + 1);
        p.roles = splitOn(spec.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1), ',');
        if (second != std::string::npos) {
            for (const auto& kv : splitOn(spec.substr(second + 1), ',')) {
                auto eq = kv.find('=');
                if (eq == std::string::npos || eq == 0) {
                    return false;
                }
                p.traits[kv.substr(0, eq)].push_back(kv.substr(eq + 1));
            }
        }
    }
    people_.erase(std::remove_if(people_.begin(), people_.end(), [&](const Person& o) { return o.name == p.name; }),
                  people_.end());
    people_.push_back(std::move(p));
    return true;
}

const Person* UserDirectory::find(const std::string& name) const {
    for (const auto& p : people_) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

bool UserDirectory::mayReview(const std::string& name) const {
    const Person* p = find(name);
    return p && std::find(p->roles.begin(), p->roles.end(), "reviewer") != p->roles.end();
}

types::UserV2 UserDirectory::toProto(const Person& p) const {
    types::UserV2 u;
    u.set_kind("user");
    u.set_version("v2");
    u.mutable_metadata()->set_name(p.name);
    for (const auto& r : p.roles) {
        u.mutable_spec()->add_roles(r);
    }
    auto& traits = *u.mutable_spec()->mutable_traits()->mutable_values();
    for (const auto& [k, vs] : p.traits) {
        for (const auto& v : vs) {
            traits[k].add_values(v);
        }
    }
    return u;
}

}  // namespace tmsteams::fakeauth
