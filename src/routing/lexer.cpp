// Tokenizer for rule conditions.
#include "routing/lexer.h"

#include <cctype>
#include <cstdint>

namespace tmsteams::routing {

absl::Status syntaxErrorAt(size_t offset, const std::string& what) {
    return absl::InvalidArgumentError("at offset " + std::to_string(offset) + ": " + what);
}

namespace {

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


}  // namespace

absl::StatusOr<Token> Lexer::next() {
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
        return syntaxErrorAt(pos_, "a line break after a complete operand ends the expression; "
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


absl::StatusOr<Token> Lexer::scan(Token& t) {
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
            return syntaxErrorAt(pos_, "unterminated `string`");
        }
        t.kind = Token::Kind::String;
        t.text = std::string(s_.substr(pos_ + 1, end - pos_ - 1));
        pos_ = end + 1;
        return t;
    }
    if (c == '\'') {
        return syntaxErrorAt(pos_, "single quotes do not make a string: use \"double quotes\"");
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
    return syntaxErrorAt(pos_, std::string("unexpected character '") +
                             (std::isprint(static_cast<unsigned char>(c)) ? std::string(1, c) : std::string("?")) + "'");
}


absl::StatusOr<Token> Lexer::quoted(Token& t) {
    std::string out;
    size_t i = pos_ + 1;
    while (i < s_.size() && s_[i] != '"') {
        char c = s_[i];
        if (c == '\n') {
            return syntaxErrorAt(i, "newline in a string");
        }
        if (c != '\\') {
            out += c;
            ++i;
            continue;
        }
        if (i + 1 >= s_.size()) {
            return syntaxErrorAt(pos_, "unterminated \"string\"");
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
                    return syntaxErrorAt(i, "bad octal escape");
                }
                v = v * 8 + (s_[i] - '0');
            }
            if (v > 255) {
                return syntaxErrorAt(i, "octal escape above \\377");
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
                    return syntaxErrorAt(i, "bad \\" + std::string(1, e) + " escape");
                }
                cp = cp * 16 + static_cast<uint32_t>(v);
            }
            i += digits;
            if (e == 'x') {
                out += static_cast<char>(cp);
            } else if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return syntaxErrorAt(i, "escape is not a Unicode code point");
            } else {
                appendUtf8(out, cp);
            }
            break;
        }
        default:
            return syntaxErrorAt(i - 2, std::string("unknown escape \\") + (std::isprint(static_cast<unsigned char>(e)) ? std::string(1, e) : "?"));
        }
    }
    if (i >= s_.size()) {
        return syntaxErrorAt(pos_, "unterminated \"string\"");
    }
    t.kind = Token::Kind::String;
    t.text = std::move(out);
    pos_ = i + 1;
    return t;
}


}  // namespace tmsteams::routing
