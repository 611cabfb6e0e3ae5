// The fake cluster's people: Teleport users with roles and traits, as GetUser/ListUsers return
// them. They need no credentials; they author reviews the plugin submits on their behalf.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "types.pb.h"

namespace tmsteams::fakeauth {

struct Person {
    std::string name;
    std::vector<std::string> roles;  // "reviewer" may review access requests
    std::map<std::string, std::vector<std::string>> traits;
};

class UserDirectory {
public:
    // "NAME[:ROLE,ROLE...][:TRAIT=VALUE,TRAIT=VALUE...]"; false when malformed.
    bool add(const std::string& spec);
    const Person* find(const std::string& name) const;
    bool mayReview(const std::string& name) const;
    types::UserV2 toProto(const Person& p) const;
    const std::vector<Person>& all() const { return people_; }

private:
    std::vector<Person> people_;
};

}  // namespace tmsteams::fakeauth
