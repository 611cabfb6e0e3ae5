// The fake tenant's directory.
#include "directory.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

namespace tmsteams::fakegraph {

const AppRegistration* Directory::app(const std::string& id) const {
    for (const auto& a : apps) {
        if (a.id == id) {
            return &a;
        }
    }
    return nullptr;
}

const DirectoryUser* Directory::userById(const std::string& id) const {
    for (const auto& u : users) {
        if (u.id == id) {
            return &u;
        }
    }
    return nullptr;
}

const Team* Directory::team(const std::string& id) const {
    for (const auto& t : teams) {
        if (t.id == id) {
            return &t;
        }
    }
    return nullptr;
}

std::optional<std::pair<const Team*, const Channel*>> Directory::channel(const std::string& id) const {
    for (const auto& t : teams) {
        for (const auto& c : t.channels) {
            if (c.id == id) {
                return std::make_pair(&t, &c);
            }
        }
    }
    return std::nullopt;
}

namespace {
std::string str(const Poco::JSON::Object::Ptr& o, const std::string& key, const std::string& where,
                bool required) {
    if (!o->has(key) || o->isNull(key)) {
        if (required) {
            throw Poco::DataException(where + "." + key + " is required");
        }
        return "";
    }
    return o->getValue<std::string>(key);
}
}  // namespace

std::optional<Directory> parseDirectory(const std::string& json, std::string& error) {
    try {
        Poco::JSON::Parser parser;
        auto root = parser.parse(json).extract<Poco::JSON::Object::Ptr>();
        Directory d;
        d.tenantId = str(root, "tenantId", "$", true);
        d.tenantDomain = str(root, "tenantDomain", "$", false);
        if (auto apps = root->getArray("apps")) {
            for (size_t i = 0; i < apps->size(); ++i) {
                auto o = apps->getObject(static_cast<unsigned>(i));
                std::string where = "$.apps[" + std::to_string(i) + "]";
                AppRegistration a{str(o, "id", where, true), str(o, "secret", where, true),
                                  str(o, "displayName", where, false), {}};
                if (auto perms = o->getArray("permissions")) {
                    for (size_t k = 0; k < perms->size(); ++k) {
                        a.permissions.insert(perms->getElement<std::string>(static_cast<unsigned>(k)));
                    }
                }
                d.apps.push_back(a);
            }
        }
        if (auto users = root->getArray("users")) {
            for (size_t i = 0; i < users->size(); ++i) {
                auto o = users->getObject(static_cast<unsigned>(i));
                std::string where = "$.users[" + std::to_string(i) + "]";
                d.users.push_back({str(o, "id", where, true), str(o, "mail", where, false),
                                   str(o, "userPrincipalName", where, true),
                                   str(o, "displayName", where, false),
                                   str(o, "jobTitle", where, false)});
            }
        }
        if (auto teams = root->getArray("teams")) {
            for (size_t i = 0; i < teams->size(); ++i) {
                auto o = teams->getObject(static_cast<unsigned>(i));
                std::string where = "$.teams[" + std::to_string(i) + "]";
                Team t{str(o, "id", where, true), str(o, "displayName", where, false), {}};
                if (auto chans = o->getArray("channels")) {
                    for (size_t k = 0; k < chans->size(); ++k) {
                        auto c = chans->getObject(static_cast<unsigned>(k));
                        std::string cw = where + ".channels[" + std::to_string(k) + "]";
                        t.channels.push_back({str(c, "id", cw, true), str(c, "name", cw, false)});
                    }
                }
                d.teams.push_back(t);
            }
        }
        return d;
    } catch (const Poco::Exception& e) {
        error = e.displayText();
    } catch (const std::exception& e) {
        error = e.what();
    }
    return std::nullopt;
}

}  // namespace tmsteams::fakegraph
