// Adaptive Card validation: the subset of the 1.x schema that Teams enforces on send.
#include "card_validator.h"

#include <set>

#include <Poco/JSON/Array.h>

namespace tmsteams::fakegraph {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

const std::set<std::string> ElementTypes = {
    "TextBlock", "Image", "Media", "RichTextBlock", "Container", "ColumnSet", "FactSet",
    "ImageSet", "ActionSet", "Table", "Input.Text", "Input.Number", "Input.Date", "Input.Time",
    "Input.Toggle", "Input.ChoiceSet"};
const std::set<std::string> ActionTypes = {"Action.OpenUrl", "Action.Submit", "Action.ShowCard",
                                           "Action.ToggleVisibility", "Action.Execute"};

bool isString(const Object::Ptr& o, const std::string& key) {
    return o->has(key) && o->get(key).isString();
}

std::optional<std::string> checkElements(const Array::Ptr& items, const std::string& where, int depth);

std::optional<std::string> checkActions(const Array::Ptr& actions, const std::string& where,
                                        int depth) {
    for (size_t i = 0; i < actions->size(); ++i) {
        std::string w = where + "[" + std::to_string(i) + "]";
        auto a = actions->getObject(static_cast<unsigned>(i));
        if (!a || !isString(a, "type")) {
            return w + ": action without a type";
        }
        std::string type = a->getValue<std::string>("type");
        if (!ActionTypes.count(type)) {
            return w + ": unknown action type \"" + type + "\"";
        }
        if (type == "Action.OpenUrl" && (!isString(a, "url") || a->getValue<std::string>("url").empty())) {
            return w + ": Action.OpenUrl needs a url";
        }
        if (type == "Action.ShowCard" && a->has("card")) {
            auto card = a->getObject("card");
            if (!card) {
                return w + ".card: not an object";
            }
            if (auto body = card->getArray("body")) {
                if (auto e = checkElements(body, w + ".card.body", depth + 1)) {
                    return e;
                }
            }
        }
    }
    return std::nullopt;
}

std::optional<std::string> checkElement(const Object::Ptr& e, const std::string& w, int depth) {
    if (depth > 16) {
        return w + ": nested too deeply";
    }
    if (!e || !isString(e, "type")) {
        return w + ": element without a type";
    }
    std::string type = e->getValue<std::string>("type");
    if (!ElementTypes.count(type)) {
        return w + ": unknown element type \"" + type + "\"";
    }
    if (type == "TextBlock" && !isString(e, "text")) {
        return w + ": TextBlock needs a text";
    }
    if (type == "Image" && !isString(e, "url")) {
        return w + ": Image needs a url";
    }
    if (type == "FactSet") {
        auto facts = e->getArray("facts");
        if (!facts) {
            return w + ": FactSet needs facts";
        }
        for (size_t i = 0; i < facts->size(); ++i) {
            auto f = facts->getObject(static_cast<unsigned>(i));
            std::string fw = w + ".facts[" + std::to_string(i) + "]";
            if (!f || !isString(f, "title") || !isString(f, "value")) {
                return fw + ": a fact needs a title and a value";
            }
        }
    }
    if (type == "Container") {
        auto items = e->getArray("items");
        if (!items) {
            return w + ": Container needs items";
        }
        return checkElements(items, w + ".items", depth + 1);
    }
    if (type == "ColumnSet" && e->has("columns")) {
        auto cols = e->getArray("columns");
        if (!cols) {
            return w + ".columns: not an array";
        }
        for (size_t i = 0; i < cols->size(); ++i) {
            auto c = cols->getObject(static_cast<unsigned>(i));
            std::string cw = w + ".columns[" + std::to_string(i) + "]";
            if (!c) {
                return cw + ": not an object";
            }
            if (c->has("type") && (!isString(c, "type") || c->getValue<std::string>("type") != "Column")) {
                return cw + ": a column's type must be Column";
            }
            if (c->has("items")) {
                auto items = c->getArray("items");
                if (!items) {
                    return cw + ".items: not an array";
                }
                if (auto err = checkElements(items, cw + ".items", depth + 1)) {
                    return err;
                }
            }
        }
    }
    if (type == "ActionSet") {
        auto actions = e->getArray("actions");
        if (!actions) {
            return w + ": ActionSet needs actions";
        }
        return checkActions(actions, w + ".actions", depth);
    }
    return std::nullopt;
}

std::optional<std::string> checkElements(const Array::Ptr& items, const std::string& where,
                                         int depth) {
    for (size_t i = 0; i < items->size(); ++i) {
        std::string w = where + "[" + std::to_string(i) + "]";
        if (auto err = checkElement(items->getObject(static_cast<unsigned>(i)), w, depth)) {
            return err;
        }
    }
    return std::nullopt;
}

}  // namespace

std::optional<std::string> validateAdaptiveCard(const Object::Ptr& card) {
    if (!card) {
        return "the attachment content is not an object";
    }
    if (!isString(card, "type") || card->getValue<std::string>("type") != "AdaptiveCard") {
        return "type must be \"AdaptiveCard\"";
    }
    if (!isString(card, "version")) {
        return "version is required";
    }
    std::string v = card->getValue<std::string>("version");
    static const std::set<std::string> versions = {"1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6"};
    if (!versions.count(v)) {
        return "unsupported card version \"" + v + "\"";
    }
    if (card->has("body")) {
        auto body = card->getArray("body");
        if (!body) {
            return "body must be an array";
        }
        if (auto err = checkElements(body, "body", 0)) {
            return err;
        }
    }
    if (card->has("actions")) {
        auto actions = card->getArray("actions");
        if (!actions) {
            return "actions must be an array";
        }
        if (auto err = checkActions(actions, "actions", 0)) {
            return err;
        }
    }
    return std::nullopt;
}

}  // namespace tmsteams::fakegraph
