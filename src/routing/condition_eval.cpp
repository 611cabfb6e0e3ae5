// Evaluation of a checked condition against one request. Types were settled by the checker, so
// the only errors left are values that cannot be read (a malformed RFC 3339 time).
#include <algorithm>
#include <cctype>

#include "routing/condition.h"
#include "routing/rfc3339.h"

namespace tmsteams::routing {
namespace {

using Node = Condition::Node;
using Op = Node::Op;
using Var = Node::Var;

// One value of any type; the checker has already settled which member is meant. (A plain
// struct rather than std::variant: g++ 12 warns falsely on variants holding strings.)
struct Value {
    bool b = false;
    std::string s;
    StringSet set;
    const Dict* dict = nullptr;
    TimePoint t{};
};
Value ofBool(bool v) { Value x; x.b = v; return x; }
Value ofString(std::string v) { Value x; x.s = std::move(v); return x; }
Value ofSet(StringSet v) { Value x; x.set = std::move(v); return x; }
Value ofDict(const Dict* v) { Value x; x.dict = v; return x; }
Value ofTime(TimePoint v) { Value x; x.t = v; return x; }

const StringSet& emptySet() {
    static const StringSet s;
    return s;
}

class Evaluator {
public:
    explicit Evaluator(const RequestEnv& env) : env_(env) {}

    absl::StatusOr<Value> eval(const Node& n) {
        switch (n.op) {
        case Op::Literal:
            return ofString(n.literal);
        case Op::Var:
            return variable(n.var);
        case Op::Not: {
            auto v = boolean(n.kids[0]);
            return v.ok() ? absl::StatusOr<Value>(ofBool(!*v)) : v.status();
        }
        case Op::And:
        case Op::Or: {
            auto l = boolean(n.kids[0]);
            if (!l.ok()) {
                return l.status();
            }
            // Short-circuit, as Teleport's evaluator does.
            if (*l == (n.op == Op::Or)) {
                return ofBool(*l);
            }
            auto r = boolean(n.kids[1]);
            return r.ok() ? absl::StatusOr<Value>(ofBool(*r)) : r.status();
        }
        case Op::Equal:
        case Op::NotEqual: {
            auto l = text(n.kids[0]);
            auto r = l.ok() ? text(n.kids[1]) : l;
            if (!r.ok()) {
                return r.status();
            }
            return ofBool((*l == *r) == (n.op == Op::Equal));
        }
        case Op::DictIndex: {
            auto d = eval(n.kids[0]);
            if (!d.ok()) {
                return d.status();
            }
            auto key = text(n.kids[1]);
            if (!key.ok()) {
                return key.status();
            }
            const Dict* dict = d->dict;
            auto it = dict->find(*key);
            return ofSet(it == dict->end() ? emptySet() : it->second);
        }
        default:
            return call(n);
        }
    }

    absl::StatusOr<bool> boolean(const Node& n) {
        auto v = eval(n);
        if (!v.ok()) {
            return v.status();
        }
        return v->b;  // a condition that is not a boolean leaves b false: no match
    }

private:
    absl::StatusOr<std::string> text(const Node& n) {
        auto v = eval(n);
        if (!v.ok()) {
            return v.status();
        }
        return std::move(v->s);
    }

    Value variable(Var v) const {
        switch (v) {
        case Var::True: return ofBool(true);
        case Var::False: return ofBool(false);
        case Var::Roles: return ofSet(env_.roles);
        case Var::SuggestedReviewers: return ofSet(env_.suggestedReviewers);
        case Var::SystemAnnotations: return ofDict(&env_.systemAnnotations);
        case Var::User: return ofString(env_.user);
        case Var::Reason: return ofString(env_.requestReason);
        case Var::Created: return ofTime(env_.creationTime);
        case Var::Expiry: return ofTime(env_.expiry);
        case Var::LabelsUnion: return ofDict(&env_.resourceLabelsUnion);
        case Var::LabelsIntersection: return ofDict(&env_.resourceLabelsIntersection);
        case Var::Traits: return ofDict(&env_.userTraits);
        }
        return ofBool(false);
    }

    absl::StatusOr<Value> call(const Node& n) {
        std::vector<Value> args;
        args.reserve(n.kids.size());
        for (const auto& k : n.kids) {
            auto v = eval(k);
            if (!v.ok()) {
                return v.status();
            }
            args.push_back(std::move(*v));
        }
        auto set = [&](size_t i) -> const StringSet& { return args[i].set; };
        auto str = [&](size_t i) -> const std::string& { return args[i].s; };
        auto time = [&](size_t i) { return args[i].t; };
        switch (n.op) {
        case Op::SetOf: {
            StringSet out;
            for (size_t i = 0; i < args.size(); ++i) {
                out.insert(str(i));
            }
            return ofSet(std::move(out));
        }
        case Op::Union: {
            StringSet out;
            for (size_t i = 0; i < args.size(); ++i) {
                out.insert(set(i).begin(), set(i).end());
            }
            return ofSet(std::move(out));
        }
        case Op::ContainsAny:
            return ofBool(std::any_of(set(1).begin(), set(1).end(), [&](const auto& x) { return set(0).count(x) > 0; }));
        case Op::ContainsAll:
            // An empty second set is "not all": Teleport answers false there.
            return ofBool(!set(1).empty() &&
                         std::all_of(set(1).begin(), set(1).end(), [&](const auto& x) { return set(0).count(x) > 0; }));
        case Op::IsEmpty:
            return ofBool(set(0).empty());
        case Op::Contains:
            return ofBool(set(0).count(str(1)) > 0);
        case Op::Add:
        case Op::Remove: {
            StringSet out = set(0);
            for (size_t i = 1; i < args.size(); ++i) {
                n.op == Op::Add ? (void)out.insert(str(i)) : (void)out.erase(str(i));
            }
            return ofSet(std::move(out));
        }
        case Op::Before:
            return ofBool(time(0) < time(1));
        case Op::After:
            return ofBool(time(0) > time(1));
        case Op::Between: {
            auto lo = std::min(time(1), time(2)), hi = std::max(time(1), time(2));
            return ofBool(time(0) > lo && time(0) < hi);
        }
        case Op::Rfc3339: {
            auto t = parseRfc3339(str(0));
            if (!t.ok()) {
                return t.status();
            }
            return ofTime(*t);
        }
        case Op::Lower:
        case Op::Upper: {
            std::string s = str(0);
            for (auto& c : s) {
                c = static_cast<char>(n.op == Op::Lower ? std::tolower(static_cast<unsigned char>(c))
                                                        : std::toupper(static_cast<unsigned char>(c)));
            }
            return ofString(std::move(s));
        }
        default:
            return absl::InternalError("unsupported operation");
        }
    }

    const RequestEnv& env_;
};

}  // namespace

absl::StatusOr<bool> Condition::matches(const RequestEnv& env) const {
    if (root_.empty()) {
        return false;
    }
    return Evaluator(env).boolean(root_.front());
}

}  // namespace tmsteams::routing
