// Tokenizer and recursive-descent parser for rule conditions: Go expression syntax and
// precedence (`||` < `&&` < `==` `!=` < `!`), double-quoted and back-quoted strings. Total: every
// input gives a tree or an error naming the offset, within fixed size and depth limits.
#include "routing/syntax.h"

#include <cctype>

namespace tmsteams::routing {
namespace {

struct Token {
    enum class Kind { End, Ident, String, Number, Op };
    Kind kind = Kind::End;
    std::string text;
    size_t offset = 0;
};

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool identPart(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

absl::Status errorAt(size_t offset, const std::string& what) {
    return absl::InvalidArgumentError("at offset " + std::to_string(offset) + ": " + what);
}

class Lexer {
public:
    explicit Lexer(std::string_view s) : s_(s) {}

    absl::StatusOr<Token> next() {
        bool newline = false;
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) {
            newline = newline || s_[pos_] == '\n';
            ++pos_;
        }
        Token t;
        t.offset = pos_;
        if (pos_ >= s_.size()) {
            return t;
        }
        // Go ends a line after an operand with an implicit semicolon, so Teleport refuses a
        // condition that goes on after such a line break (write && or || at the end of the line).
        if (newline && endsOperand_) {
            return errorAt(pos_, "a line break after a complete operand ends the expression; "
                                 "put && or || at the end of the line, not the start of the next");
        }
        auto result = scan(t);
        if (result.ok()) {
            endsOperand_ = result->kind == Token::Kind::Ident || result->kind == Token::Kind::String ||
                           result->kind == Token::Kind::Number ||
                           (result->kind == Token::Kind::Op && (result->text == ")" || result->text == "]"));
        }
        return result;
    }

private:
    absl::StatusOr<Token> scan(Token& t) {
        char c = s_[pos_];
        if (identStart(c)) {
            size_t b = pos_;
            while (pos_ < s_.size() && identPart(s_[pos_])) {
                ++pos_;
            }
            t.kind = Token::Kind::Ident;
            t.text = std::string(s_.substr(b, pos_ - b));
            return t;
        }
        if (std::isdigit(static_cast<unsigned char>(c))) {
            size_t b = pos_;
            while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.')) {
                ++pos_;
            }
            t.kind = Token::Kind::Number;
            t.text = std::string(s_.substr(b, pos_ - b));
            return t;
        }
        if (c == '"') {
            return quoted(t);
        }
        if (c == '`') {
            size_t end = s_.find('`', pos_ + 1);
            if (end == std::string_view::npos) {
                return errorAt(pos_, "unterminated `string`");
            }
            t.kind = Token::Kind::String;
            t.text = std::string(s_.substr(pos_ + 1, end - pos_ - 1));
            pos_ = end + 1;
            return t;
        }
        if (c == '\'') {
            return errorAt(pos_, "single quotes do not make a string: use \"double quotes\"");
        }
        static const char* const two[] = {"&&", "||", "==", "!=", "<=", ">="};
        for (const char* op : two) {
            if (s_.substr(pos_, 2) == op) {
                t.kind = Token::Kind::Op;
                t.text = op;
                pos_ += 2;
                return t;
            }
        }
        if (std::string_view("!()[].,<>").find(c) != std::string_view::npos) {
            t.kind = Token::Kind::Op;
            t.text = std::string(1, c);
            ++pos_;
            return t;
        }
        return errorAt(pos_, std::string("unexpected character '") +
                                 (std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c) : std::string("?")) + "'");
    }

    absl::StatusOr<Token> quoted(Token& t) {
        std::string out;
        size_t i = pos_ + 1;
        while (i < s_.size() && s_[i] != '"') {
            char c = s_[i];
            if (c == '\n') {
                return errorAt(i, "newline in a string");
            }
            if (c != '\\') {
                out += c;
                ++i;
                continue;
            }
            if (i + 1 >= s_.size()) {
                return errorAt(pos_, "unterminated \"string\"");
            }
            char e = s_[i + 1];
            i += 2;
            switch (e) {
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'v': out += '\v'; break;
            case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
                // Go's octal escape: exactly three digits, at most \377.
                int v = e - '0';
                for (int k = 0; k < 2; ++k, ++i) {
                    if (i >= s_.size() || s_[i] < '0' || s_[i] > '7') {
                        return errorAt(i, "bad octal escape");
                    }
                    v = v * 8 + (s_[i] - '0');
                }
                if (v > 255) {
                    return errorAt(i, "octal escape above \\377");
                }
                out += static_cast<char>(v);
                break;
            }
            case 'n': out += '\n'; break;
            case 't': out += '\t'; break;
            case 'r': out += '\r'; break;
            case '\\': out += '\\'; break;
            case '"': out += '"'; break;
            case 'x':
            case 'u':
            case 'U': {
                size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                uint32_t cp = 0;
                for (size_t k = 0; k < digits; ++k) {
                    int v = i + k < s_.size() ? hexValue(s_[i + k]) : -1;
                    if (v < 0) {
                        return errorAt(i, "bad \\" + std::string(1, e) + " escape");
                    }
                    cp = cp * 16 + static_cast<uint32_t>(v);
                }
                i += digits;
                if (e == 'x') {
                    out += static_cast<char>(cp);
                } else if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    return errorAt(i, "escape is not a Unicode code point");
                } else {
                    appendUtf8(out, cp);
                }
                break;
            }
            default:
                return errorAt(i - 2, std::string("unknown escape \\") + (std::isprint(static_cast<unsigned char>(e)) ? std::string(1, e) : "?"));
            }
        }
        if (i >= s_.size()) {
            return errorAt(pos_, "unterminated \"string\"");
        }
        t.kind = Token::Kind::String;
        t.text = std::move(out);
        pos_ = i + 1;
        return t;
    }

    std::string_view s_;
    size_t pos_ = 0;
    bool endsOperand_ = false;  // the last token could end an operand (Go's semicolon rule)
};

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
            return errorAt(tok_.offset, "unexpected \"" + tok_.text + "\" after the expression");
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

    Result binary(int depth, const char* op, Syntax::Kind kind, Result (Parser::*operand)(int)) {
        auto left = (this->*operand)(depth);
        int operands = 1;
        while (left.ok() && isOp(op)) {
            // Chains build a left-deep tree; bounding them bounds every later recursion.
            if (++operands > MaxChainOperands) {
                return errorAt(tok_.offset, "too many operands in a row");
            }
            auto n = node(kind, tok_.offset);
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
        return left;
    }

    Result parseOr(int depth) {
        if (depth > MaxConditionDepth) {
            return errorAt(tok_.offset, "nested too deeply");
        }
        return binary(depth, "||", Syntax::Kind::Or, &Parser::parseAnd);
    }
    Result parseAnd(int depth) { return binary(depth, "&&", Syntax::Kind::And, &Parser::parseCompare); }

    Result parseCompare(int depth) {
        auto left = parseUnary(depth);
        int operands = 1;
        while (left.ok() && tok_.kind == Token::Kind::Op) {
            if (++operands > MaxChainOperands) {
                return errorAt(tok_.offset, "too many operands in a row");
            }
            Syntax::Kind kind;
            if (tok_.text == "==") {
                kind = Syntax::Kind::Equal;
            } else if (tok_.text == "!=") {
                kind = Syntax::Kind::NotEqual;
            } else if (tok_.text == "<" || tok_.text == ">" || tok_.text == "<=" || tok_.text == ">=") {
                return errorAt(tok_.offset, "operator " + tok_.text + " is not supported");
            } else {
                break;
            }
            auto n = node(kind, tok_.offset);
            if (auto s = advance(); !s.ok()) {
                return s;
            }
            auto right = parseUnary(depth);
            if (!right.ok()) {
                return right;
            }
            n->kids.push_back(std::move(*left));
            n->kids.push_back(std::move(*right));
            left = std::move(n);
        }
        return left;
    }

    Result parseUnary(int depth) {
        if (depth > MaxConditionDepth) {
            return errorAt(tok_.offset, "nested too deeply");
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
                return errorAt(tok_.offset, "nested too deeply");
            }
            const size_t at = tok_.offset;
            if (isOp(".")) {
                if (auto s = advance(); !s.ok()) {
                    return s;
                }
                if (tok_.kind != Token::Kind::Ident) {
                    return errorAt(tok_.offset, "a name must follow \".\"");
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
                    return errorAt(tok_.offset, "expected \"]\"");
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
                        return errorAt(tok_.offset, "expected \",\" or \")\" in the argument list");
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
            return errorAt(at, at == 0 ? "the condition is empty" : "the expression ends too early");
        case Token::Kind::Number:
            return errorAt(at, "numbers are not supported here");
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
            return errorAt(at, "unexpected \"" + tok_.text + "\"");
        }
        if (auto s = advance(); !s.ok()) {
            return s;
        }
        auto inner = parseOr(depth + 1);
        if (!inner.ok()) {
            return inner;
        }
        if (!isOp(")")) {
            return errorAt(tok_.offset, "expected \")\"");
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
