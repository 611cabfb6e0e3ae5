// A rule condition, checked once and evaluated for each new request. The language is the one
// Teleport's access monitoring rules use (lib/accessmonitoring with lib/expression): the same
// variables, functions, methods and typing, so a condition Teleport accepts means the same here,
// and one it refuses is refused here too. Parsing and evaluation are total: any input gives a
// result or an error, never a crash.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

#include "routing/request_env.h"

namespace tmsteams::routing {

class Condition {
public:
    enum class Type { Bool, String, Set, Dict, Time };

    // Parses and type-checks `text`; the error says where and why.
    static absl::StatusOr<Condition> parse(std::string_view text);

    // True when the condition holds for the request. A condition that is not true or false
    // (a bare string, say) never matches, as in Teleport.
    absl::StatusOr<bool> matches(const RequestEnv& env) const;

    // What evaluating it needs beyond the request: the requested resources' labels, the
    // requester's traits (each costs calls to Teleport, made only when some rule needs them).
    bool usesResourceLabels() const;
    bool usesUserTraits() const;

    struct Node;

private:
    Condition() = default;
    std::vector<Node> root_;  // exactly one element; a vector keeps Node incomplete here
};

struct Condition::Node {
    enum class Op {
        Literal, Var, DictIndex, Not, And, Or, Equal, NotEqual, SetOf, Union, ContainsAny, ContainsAll,
        IsEmpty, Contains, Add, Remove, Before, After, Between, Rfc3339, Lower, Upper,
    };
    enum class Var {
        True, False, Roles, SuggestedReviewers, SystemAnnotations, User, Reason, Created, Expiry, LabelsUnion,
        LabelsIntersection, Traits,
    };
    Op op = Op::Literal;
    Type type = Type::Bool;
    Var var = Var::True;
    std::string literal;
    std::vector<Node> kids;
};

}  // namespace tmsteams::routing
