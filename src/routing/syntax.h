// The syntax tree of a rule condition, before names and types are checked. The grammar is the
// subset of Go expressions that Teleport's predicate parser accepts.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <absl/status/statusor.h>

namespace tmsteams::routing {

struct Syntax {
    enum class Kind { Ident, String, Select, Index, Call, Not, And, Or, Equal, NotEqual, Paren };
    Kind kind;
    std::string text;  // Ident: the name; String: the unquoted value; Select: the field name
    std::vector<std::unique_ptr<Syntax>> kids;  // Select/Index: base first; Call: callee, then args
    size_t offset = 0;                           // where it starts in the condition, for messages
};

// Conditions longer than this, or nested deeper, are refused rather than parsed.
inline constexpr size_t MaxConditionBytes = 16 * 1024;
inline constexpr int MaxConditionDepth = 64;
// Far above what fits in MaxConditionBytes for any useful term; it bounds recursion depth.
inline constexpr int MaxChainOperands = 1024;

absl::StatusOr<std::unique_ptr<Syntax>> parseSyntax(std::string_view text);

}  // namespace tmsteams::routing
