// Recursive-descent parser for rule conditions (tokens from lexer.h): Go expression syntax and
// precedence (`||` < `&&` < `==` `!=` < `!`), double-quoted and back-quoted strings. Total: every
// input gives a tree or an error naming the offset, within fixed size and depth limits.
#include "routing/syntax.h"

#include <optional>

#include "routing/lexer.h"

namespace tmsteams::routing {
namespace {



class Parser {
public:
    explicit Parser(std::string_view s) : lex_(s) {}

    absl::StatusOr<std::unique_ptr<Syntax>> parseAll() {
        if (auto s = advance(); !s.ok()) {
            return s;
        }
        auto e = parseOr(0);
        if (!e.ok()) {
            return e.status();
        }
        if (tok_.kind != Token::Kind::End) {
            return syntaxErrorAt(tok_.offset, "unexpected \"" + tok_.text + "\" after the expression");
        }
        return e;
    }

private:
    using Result = absl::StatusOr<std::unique_ptr<Syntax>>;

    absl::Status advance() {
        auto t = lex_.next();
        if (!t.ok()) {
            return t.status();
        }
        tok_ = std::move(*t);
        return absl::OkStatus();
    }
    bool isOp(const char* op) const { return tok_.kind == Token::Kind::Op && tok_.text == op; }

    static std::unique_ptr<Syntax> node(Syntax::Kind k, size_t offset) {
        auto n = std::make_unique<Syntax>();
        n->kind = k;
        n->offset = offset;
        return n;
    }

    // The node an operator token makes in a chain of one precedence level, if it is one.
    using OperatorOf = std::optional<Syntax::Kind> (Parser::*)() const;
    std::optional<Syntax::Kind> orOperator() const {
        return isOp("||") ? std::optional(Syntax::Kind::Or) : std::nullopt;
    }
    std::optional<Syntax::Kind> andOperator() const {
        return isOp("&&") ? std::optional(Syntax::Kind::And) : std::nullopt;
    }
    std::optional<Syntax::Kind> comparison() const {
        return isOp("==") ? std::optional(Syntax::Kind::Equal)
               : isOp("!=") ? std::optional(Syntax::Kind::NotEqual)
                            : std::nullopt;
    }

    // operand (operator operand)*, left-associative, as Go parses each precedence level.
    Result chain(int depth, OperatorOf operatorOf, Result (Parser::*operand)(int)) {
        auto left = (this->*operand)(depth);
        int operands = 1;
        for (auto kind = (this->*operatorOf)(); left.ok() && kind; kind = (this->*operatorOf)()) {
            // Chains build a left-deep tree; bounding them bounds every later recursion.
            if (++operands > MaxChainOperands) {
                return syntaxErrorAt(tok_.offset, "too many operands in a row");
            }
            auto n = node(*kind, tok_.offset);
            if (auto s = advance(); !s.ok()) {
                return s;
            }
            auto right = (this->*operand)(depth);
            if (!right.ok()) {
                return right;
            }
            n->kids.push_back(std::move(*left));
            n->kids.push_back(std::move(*right));
            left = std::move(n);
        }
        if (left.ok() && (isOp("<") || isOp(">") || isOp("<=") || isOp(">="))) {
            return syntaxErrorAt(tok_.offset, "operator " + tok_.text + " is not supported");
        }
        return left;
    }

    Result parseOr(int depth) {
        if (depth > MaxConditionDepth) {
            return syntaxErrorAt(tok_.offset, "nested too deeply");
        }
        return chain(depth, &Parser::orOperator, &Parser::parseAnd);
    }
    Result parseAnd(int depth) { return chain(depth, &Parser::andOperator, &Parser::parseCompare); }
    Result parseCompare(int depth) { return chain(depth, &Parser::comparison, &Parser::parseUnary); }

    Result parseUnary(int depth) {
        if (depth > MaxConditionDepth) {
            return syntaxErrorAt(tok_.offset, "nested too deeply");
        }
        if (isOp("!")) {
            auto n = node(Syntax::Kind::Not, tok_.offset);
            if (auto s = advance(); !s.ok()) {
                return s;
            }
            auto inner = parseUnary(depth + 1);
            if (!inner.ok()) {
                return inner;
            }
            n->kids.push_back(std::move(*inner));
            return n;
        }
        return parsePostfix(depth);
    }

    Result parsePostfix(int depth) {
        auto base = parsePrimary(depth);
        int chain = 0;
        while (base.ok()) {
            if (++chain > MaxConditionDepth) {
                return syntaxErrorAt(tok_.offset, "nested too deeply");
            }
            const size_t at = tok_.offset;
            if (isOp(".")) {
                if (auto s = advance(); !s.ok()) {
                    return s;
                }
                if (tok_.kind != Token::Kind::Ident) {
                    return syntaxErrorAt(tok_.offset, "a name must follow \".\"");
                }
                auto n = node(Syntax::Kind::Select, at);
                n->text = tok_.text;
                n->kids.push_back(std::move(*base));
                if (auto s = advance(); !s.ok()) {
                    return s;
                }
                base = std::move(n);
            } else if (isOp("[")) {
                if (auto s = advance(); !s.ok()) {
                    return s;
                }
                auto key = parseOr(depth + 1);
                if (!key.ok()) {
                    return key;
                }
                if (!isOp("]")) {
                    return syntaxErrorAt(tok_.offset, "expected \"]\"");
                }
                auto n = node(Syntax::Kind::Index, at);
                n->kids.push_back(std::move(*base));
                n->kids.push_back(std::move(*key));
                if (auto s = advance(); !s.ok()) {
                    return s;
                }
                base = std::move(n);
            } else if (isOp("(")) {
                auto n = node(Syntax::Kind::Call, at);
                n->kids.push_back(std::move(*base));
                if (auto s = advance(); !s.ok()) {
                    return s;
                }
                while (!isOp(")")) {
                    auto arg = parseOr(depth + 1);
                    if (!arg.ok()) {
                        return arg;
                    }
                    n->kids.push_back(std::move(*arg));
                    if (isOp(",")) {
                        if (auto s = advance(); !s.ok()) {
                            return s;
                        }
                    } else if (!isOp(")")) {
                        return syntaxErrorAt(tok_.offset, "expected \",\" or \")\" in the argument list");
                    }
                }
                if (auto s = advance(); !s.ok()) {
                    return s;
                }
                base = std::move(n);
            } else {
                break;
            }
        }
        return base;
    }

    Result parsePrimary(int depth) {
        const size_t at = tok_.offset;
        switch (tok_.kind) {
        case Token::Kind::End:
            return syntaxErrorAt(at, at == 0 ? "the condition is empty" : "the expression ends too early");
        case Token::Kind::Number:
            return syntaxErrorAt(at, "numbers are not supported here");
        case Token::Kind::Ident:
        case Token::Kind::String: {
            auto n = node(tok_.kind == Token::Kind::Ident ? Syntax::Kind::Ident : Syntax::Kind::String, at);
            n->text = tok_.text;
            if (auto s = advance(); !s.ok()) {
                return s;
            }
            return n;
        }
        case Token::Kind::Op:
            break;
        }
        if (!isOp("(")) {
            return syntaxErrorAt(at, "unexpected \"" + tok_.text + "\"");
        }
        if (auto s = advance(); !s.ok()) {
            return s;
        }
        auto inner = parseOr(depth + 1);
        if (!inner.ok()) {
            return inner;
        }
        if (!isOp(")")) {
            return syntaxErrorAt(tok_.offset, "expected \")\"");
        }
        if (auto s = advance(); !s.ok()) {
            return s;
        }
        auto n = node(Syntax::Kind::Paren, at);
        n->kids.push_back(std::move(*inner));
        return n;
    }

    Lexer lex_;
    Token tok_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Syntax>> parseSyntax(std::string_view text) {
    if (text.size() > MaxConditionBytes) {
        return absl::InvalidArgumentError("the condition is longer than " + std::to_string(MaxConditionBytes) + " bytes");
    }
    return Parser(text).parseAll();
}

}  // namespace tmsteams::routing
