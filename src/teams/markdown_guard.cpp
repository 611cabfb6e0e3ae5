// Keeping user text from forming markdown in a card, without backslashes (see card.h).
#include <cctype>
#include <cstring>
#include <string>

#include "teams/card.h"

namespace tmsteams::teams {

namespace {

constexpr const char* Zwsp = "\xE2\x80\x8B";  // ZERO WIDTH SPACE: no client draws it

bool asciiPunct(char c) { return std::ispunct(static_cast<unsigned char>(c)) != 0; }
bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Whether a line starting here would be block markup: a heading, quote, list item, rule,
// setext underline, table row, reference definition, or indented code.
bool blockMarkupAt(const std::string& t, size_t i) {
    if (i >= t.size()) {
        return false;
    }
    const char c = t[i];
    if (std::strchr(" \t#>-+*=|_~[`:", c)) {
        return true;
    }
    size_t j = i;
    while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) {
        ++j;
    }
    return j > i && j < t.size() && (t[j] == '.' || t[j] == ')');  // "1. " or "1) "
}

// Whether the line from `i` holds only spaces and tabs: a blank line, which separates paragraphs.
bool blankFrom(const std::string& t, size_t i) {
    for (; i < t.size() && t[i] != '\n'; ++i) {
        if (t[i] != ' ' && t[i] != '\t') {
            return false;
        }
    }
    return true;
}

// Whether an HTML entity ("lt;", "#60;", "#x3C;") starts at `i`: only those are split, so that
// "a=1&b=2" in a pasted URL stays as it is.
bool entityAt(const std::string& t, size_t i) {
    size_t j = i;
    if (j < t.size() && t[j] == '#') {
        ++j;
    }
    const size_t start = j;
    while (j < t.size() && j - start < 32 && std::isalnum(static_cast<unsigned char>(t[j]))) {
        ++j;
    }
    return j > start && j < t.size() && t[j] == ';';
}

}  // namespace

std::string escapeMarkdown(const std::string& text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        const char prev = i > 0 ? text[i - 1] : '\n';
        const char next = i + 1 < text.size() ? text[i + 1] : '\n';
        if ((i == 0 || prev == '\n') && blockMarkupAt(text, i) && !blankFrom(text, i)) {
            out += Zwsp;  // the line now starts with text, so it is a plain paragraph line
        }
        switch (c) {
        case '*':
            // "*" pairs into emphasis wherever it touches a word; an invisible character cannot
            // stop that, so it becomes the look-alike U+2217 except between two spaces.
            out += (space(prev) && space(next)) ? "*" : "\xE2\x88\x97";
            continue;
        case '`':
            out += "\xCB\x8B";  // U+02CB, a look-alike that opens no code span
            continue;
        case '_':
            // A "_" inside a word cannot open emphasis ("db_admin"); any other can (after spaces
            // and punctuation of every script), and after an invisible character it cannot.
            if (i == 0 || !std::isalnum(static_cast<unsigned char>(prev))) {
                out += Zwsp;
            }
            out += c;
            continue;
        default:
            break;
        }
        out += c;
        // Sequences that would form markup are split by an invisible character.
        const bool split = (c == ']' && next == '(') ||                    // [text](url), ![alt](src)
                           (c == ']' && next == '[') ||                    // [text][ref]
                           (c == '<' && (std::isalpha(static_cast<unsigned char>(next)) || next == '/' ||
                                         next == '!' || next == '?')) ||  // <http://…>, <at>, HTML
                           (c == '\\' && (asciiPunct(next) || next == '\n')) ||  // an escape, a hard break
                           (c == '~' && next == '~') ||                    // ~~strike~~
                           (c == '&' && entityAt(text, i + 1));            // &lt; &#60;
        if (split) {
            out += Zwsp;
        }
    }
    return out;
}

}  // namespace tmsteams::teams
