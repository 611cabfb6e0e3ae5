// Names and types of a parsed condition: every variable, function and method resolved and typed
// before any request is seen, as Teleport's typed predicate parser does at rule creation.
#include <algorithm>
#include <map>

#include "routing/condition.h"
#include "routing/syntax.h"

namespace tmsteams::routing {
namespace {

using Node = Condition::Node;
using Op = Node::Op;
using Type = Condition::Type;
using Var = Node::Var;

const char* typeName(Type t) {
    switch (t) {
    case Type::Bool: return "a boolean";
    case Type::String: return "a string";
    case Type::Set: return "a set of strings";
    case Type::Dict: return "a map of string sets";
    case Type::Time: return "a time";
    }
    return "a value";
}

const std::map<std::string, std::pair<Var, Type>, std::less<>>& variables() {
    static const std::map<std::string, std::pair<Var, Type>, std::less<>> v = {
        {"true", {Var::True, Type::Bool}},
        {"false", {Var::False, Type::Bool}},
        {"access_request.spec.roles", {Var::Roles, Type::Set}},
        {"access_request.spec.suggested_reviewers", {Var::SuggestedReviewers, Type::Set}},
        {"access_request.spec.system_annotations", {Var::SystemAnnotations, Type::Dict}},
        {"access_request.spec.user", {Var::User, Type::String}},
        {"access_request.spec.request_reason", {Var::Reason, Type::String}},
        {"access_request.spec.creation_time", {Var::Created, Type::Time}},
        {"access_request.spec.expiry", {Var::Expiry, Type::Time}},
        {"access_request.spec.resource_labels_union", {Var::LabelsUnion, Type::Dict}},
        {"access_request.spec.resource_labels_intersection", {Var::LabelsIntersection, Type::Dict}},
        {"user.traits", {Var::Traits, Type::Dict}},
    };
    return v;
}

struct Signature {
    Op op;
    Type result;
    std::vector<Type> params;
    bool variadic = false;  // the last parameter repeats (zero or more times)
};

const std::map<std::string, Signature, std::less<>>& functions() {
    static const std::map<std::string, Signature, std::less<>> f = {
        {"set", {Op::SetOf, Type::Set, {Type::String}, true}},
        {"union", {Op::Union, Type::Set, {Type::Set}, true}},
        {"contains_any", {Op::ContainsAny, Type::Bool, {Type::Set, Type::Set}}},
        {"contains_all", {Op::ContainsAll, Type::Bool, {Type::Set, Type::Set}}},
        {"is_empty", {Op::IsEmpty, Type::Bool, {Type::Set}}},
        {"before", {Op::Before, Type::Bool, {Type::Time, Type::Time}}},
        {"after", {Op::After, Type::Bool, {Type::Time, Type::Time}}},
        {"between", {Op::Between, Type::Bool, {Type::Time, Type::Time, Type::Time}}},
        {"time.RFC3339", {Op::Rfc3339, Type::Time, {Type::String}}},
        {"strings.lower", {Op::Lower, Type::String, {Type::String}}},
        {"strings.upper", {Op::Upper, Type::String, {Type::String}}},
    };
    return f;
}

// Methods by receiver type: the receiver is the first parameter.
const std::map<std::pair<Type, std::string>, Signature>& methods() {
    static const std::map<std::pair<Type, std::string>, Signature> m = {
        {{Type::Set, "contains"}, {Op::Contains, Type::Bool, {Type::Set, Type::String}}},
        {{Type::Set, "contains_any"}, {Op::ContainsAny, Type::Bool, {Type::Set, Type::Set}}},
        {{Type::Set, "contains_all"}, {Op::ContainsAll, Type::Bool, {Type::Set, Type::Set}}},
        {{Type::Set, "isempty"}, {Op::IsEmpty, Type::Bool, {Type::Set}}},
        {{Type::Set, "add"}, {Op::Add, Type::Set, {Type::Set, Type::String}, true}},
        {{Type::Set, "remove"}, {Op::Remove, Type::Set, {Type::Set, Type::String}, true}},
        {{Type::Time, "before"}, {Op::Before, Type::Bool, {Type::Time, Type::Time}}},
        {{Type::Time, "after"}, {Op::After, Type::Bool, {Type::Time, Type::Time}}},
        {{Type::Time, "between"}, {Op::Between, Type::Bool, {Type::Time, Type::Time, Type::Time}}},
    };
    return m;
}

bool isMethodName(const std::string& name) {
    for (const auto& [key, sig] : methods()) {
        if (key.second == name) {
            return true;
        }
    }
    return false;
}

absl::Status errorAt(const Syntax& s, const std::string& what) {
    return absl::InvalidArgumentError("at offset " + std::to_string(s.offset) + ": " + what);
}

// "a.b.c" for a chain of names, "" for anything else.
std::string dottedName(const Syntax& s) {
    if (s.kind == Syntax::Kind::Ident) {
        return s.text;
    }
    if (s.kind == Syntax::Kind::Select) {
        std::string base = dottedName(*s.kids[0]);
        return base.empty() ? "" : base + "." + s.text;
    }
    return "";
}

// Teleport evaluates arguments and receivers without operators: only values, names, indexes
// and calls may appear there.
bool plainOperand(const Syntax& s) {
    switch (s.kind) {
    case Syntax::Kind::Ident:
    case Syntax::Kind::String:
    case Syntax::Kind::Select:
    case Syntax::Kind::Index:
    case Syntax::Kind::Call:
        return true;
    default:
        return false;
    }
}

class Checker {
public:
    absl::StatusOr<Node> check(const Syntax& s, int depth) {
        if (depth > 4 * MaxConditionDepth + MaxChainOperands) {
            return errorAt(s, "nested too deeply");
        }
        switch (s.kind) {
        case Syntax::Kind::String: {
            Node n;
            n.op = Op::Literal;
            n.type = Type::String;
            n.literal = s.text;
            return n;
        }
        case Syntax::Kind::Paren:
            return check(*s.kids[0], depth + 1);
        case Syntax::Kind::Not: {
            auto inner = expect(*s.kids[0], Type::Bool, depth, "the operand of !");
            if (!inner.ok()) {
                return inner.status();
            }
            return make(Op::Not, Type::Bool, {std::move(*inner)});
        }
        case Syntax::Kind::And:
        case Syntax::Kind::Or:
            return logical(s, depth);
        case Syntax::Kind::Equal:
        case Syntax::Kind::NotEqual:
            return equality(s, depth);
        case Syntax::Kind::Index:
            return index(s, depth);
        case Syntax::Kind::Call:
            return call(s, depth);
        case Syntax::Kind::Ident:
        case Syntax::Kind::Select:
            return variable(s, depth);
        }
        return errorAt(s, "unsupported expression");
    }

private:
    static Node make(Op op, Type type, std::vector<Node> kids) {
        Node n;
        n.op = op;
        n.type = type;
        n.kids = std::move(kids);
        return n;
    }

    absl::StatusOr<Node> expect(const Syntax& s, Type want, int depth, const std::string& what) {
        auto n = check(s, depth + 1);
        if (n.ok() && n->type != want) {
            return errorAt(s, what + " must be " + typeName(want) + ", not " + typeName(n->type));
        }
        return n;
    }

    absl::StatusOr<Node> logical(const Syntax& s, int depth) {
        const bool isAnd = s.kind == Syntax::Kind::And;
        const std::string what = std::string("an operand of ") + (isAnd ? "&&" : "||");
        auto l = expect(*s.kids[0], Type::Bool, depth, what);
        if (!l.ok()) {
            return l.status();
        }
        auto r = expect(*s.kids[1], Type::Bool, depth, what);
        if (!r.ok()) {
            return r.status();
        }
        return make(isAnd ? Op::And : Op::Or, Type::Bool, {std::move(*l), std::move(*r)});
    }

    absl::StatusOr<Node> equality(const Syntax& s, int depth) {
        const char* op = s.kind == Syntax::Kind::Equal ? "==" : "!=";
        auto l = check(*s.kids[0], depth + 1);
        if (!l.ok()) {
            return l.status();
        }
        auto r = check(*s.kids[1], depth + 1);
        if (!r.ok()) {
            return r.status();
        }
        if (l->type != Type::String || r->type != Type::String) {
            return errorAt(s, std::string("operator ") + op + " compares strings, not " +
                                  typeName(l->type != Type::String ? l->type : r->type));
        }
        return make(s.kind == Syntax::Kind::Equal ? Op::Equal : Op::NotEqual, Type::Bool, {std::move(*l), std::move(*r)});
    }

    absl::StatusOr<Node> index(const Syntax& s, int depth) {
        if (!plainOperand(*s.kids[0])) {
            return errorAt(s, "only a name can be indexed");
        }
        auto base = expect(*s.kids[0], Type::Dict, depth, "an indexed value");
        if (!base.ok()) {
            return base.status();
        }
        auto key = expect(*s.kids[1], Type::String, depth, "an index");
        if (!key.ok()) {
            return key.status();
        }
        return make(Op::DictIndex, Type::Set, {std::move(*base), std::move(*key)});
    }

    absl::StatusOr<Node> variable(const Syntax& s, int depth) {
        const std::string name = dottedName(s);
        if (name.empty()) {
            // A field of something that is not a name, e.g. f(x).y.
            return errorAt(s, "\"." + s.text + "\" is not a known field");
        }
        if (auto it = variables().find(name); it != variables().end()) {
            Node n;
            n.op = Op::Var;
            n.var = it->second.first;
            n.type = it->second.second;
            return n;
        }
        // user.traits.team: the shorthand for user.traits["team"].
        if (s.kind == Syntax::Kind::Select) {
            auto base = variables().find(dottedName(*s.kids[0]));
            if (base != variables().end() && base->second.second == Type::Dict) {
                auto dict = check(*s.kids[0], depth + 1);
                if (!dict.ok()) {
                    return dict.status();
                }
                Node key;
                key.op = Op::Literal;
                key.type = Type::String;
                key.literal = s.text;
                return make(Op::DictIndex, Type::Set, {std::move(*dict), std::move(key)});
            }
        }
        return errorAt(s, "unknown name \"" + name + "\"");
    }

    absl::StatusOr<Node> call(const Syntax& s, int depth) {
        const Syntax& callee = *s.kids[0];
        std::vector<const Syntax*> args;
        for (size_t i = 1; i < s.kids.size(); ++i) {
            args.push_back(s.kids[i].get());
        }
        const std::string name = dottedName(callee);
        if (callee.kind == Syntax::Kind::Select && isMethodName(callee.text) && !functions().count(name)) {
            const Syntax& receiver = *callee.kids[0];
            if (!plainOperand(receiver)) {
                return errorAt(s, "the receiver of ." + callee.text + "() must be a name or a call, not an operator expression");
            }
            auto recv = check(receiver, depth + 1);
            if (!recv.ok()) {
                return recv.status();
            }
            auto it = methods().find({recv->type, callee.text});
            if (it == methods().end()) {
                return errorAt(s, typeName(recv->type) + std::string(" has no method ") + callee.text + "()");
            }
            std::vector<Node> kids;
            kids.push_back(std::move(*recv));
            return apply(s, "." + callee.text + "()", it->second, std::move(kids), args, depth);
        }
        auto it = functions().find(name);
        if (name.empty() || it == functions().end()) {
            return errorAt(s, "unknown function \"" + (name.empty() ? std::string("?") : name) + "\"");
        }
        return apply(s, name + "()", it->second, {}, args, depth);
    }

    // Checks `args` against the signature's parameters after the ones already in `kids`.
    absl::StatusOr<Node> apply(const Syntax& s, const std::string& what, const Signature& sig, std::vector<Node> kids,
                               const std::vector<const Syntax*>& args, int depth) {
        const size_t fixed = sig.params.size() - kids.size();
        const size_t minArgs = sig.variadic ? fixed - 1 : fixed;
        if (args.size() < minArgs || (!sig.variadic && args.size() > fixed)) {
            return errorAt(s, what + " takes " + std::to_string(minArgs) + (sig.variadic ? " or more" : "") +
                                  " argument(s), not " + std::to_string(args.size()));
        }
        for (size_t i = 0; i < args.size(); ++i) {
            if (!plainOperand(*args[i])) {
                return errorAt(*args[i], "an argument of " + what + " must be a value, a name or a call, not an operator expression");
            }
            size_t p = std::min(kids.size(), sig.params.size() - 1);
            auto arg = expect(*args[i], sig.params[p], depth, "argument " + std::to_string(i + 1) + " of " + what);
            if (!arg.ok()) {
                return arg.status();
            }
            kids.push_back(std::move(*arg));
        }
        return make(sig.op, sig.result, std::move(kids));
    }
};

}  // namespace

namespace {
bool anyVar(const Node& n, std::initializer_list<Var> vars) {
    if (n.op == Op::Var && std::find(vars.begin(), vars.end(), n.var) != vars.end()) {
        return true;
    }
    return std::any_of(n.kids.begin(), n.kids.end(), [&](const Node& k) { return anyVar(k, vars); });
}
}  // namespace

bool Condition::usesResourceLabels() const {
    return !root_.empty() && anyVar(root_.front(), {Var::LabelsUnion, Var::LabelsIntersection});
}

bool Condition::usesUserTraits() const { return !root_.empty() && anyVar(root_.front(), {Var::Traits}); }

absl::StatusOr<Condition> Condition::parse(std::string_view text) {
    auto syntax = parseSyntax(text);
    if (!syntax.ok()) {
        return syntax.status();
    }
    auto root = Checker().check(**syntax, 0);
    if (!root.ok()) {
        return root.status();
    }
    Condition c;
    c.root_.push_back(std::move(*root));
    return c;
}

}  // namespace tmsteams::routing
