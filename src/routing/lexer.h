// The tokens of a rule condition: names, strings (Go's double-quoted and back-quoted forms,
// with Go's escapes), numbers and operators, with Go's rule that a line break after a complete
// operand ends the expression. Used by syntax.cpp's parser.
#pragma once

#include <string>
#include <string_view>

#include <absl/status/statusor.h>

namespace tmsteams::routing {

struct Token {
    enum class Kind { End, Ident, String, Number, Op };
    Kind kind = Kind::End;
    std::string text;
    size_t offset = 0;
};

// "at offset N: what", the form of every syntax error.
absl::Status syntaxErrorAt(size_t offset, const std::string& what);

class Lexer {
public:
    explicit Lexer(std::string_view s) : s_(s) {}
    // The next token (Kind::End at the end), or why the text cannot be read there.
    absl::StatusOr<Token> next();

private:
    absl::StatusOr<Token> scan(Token& t);
    absl::StatusOr<Token> quoted(Token& t);

    std::string_view s_;
    size_t pos_ = 0;
    bool endsOperand_ = false;  // the last token could end an operand (Go's semicolon rule)
};

}  // namespace tmsteams::routing
