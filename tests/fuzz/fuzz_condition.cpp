// Fuzz target: rule conditions. Every input parses to a condition or an error; a condition
// always evaluates to a result or an error, against a request with values in every variable.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "routing/condition.h"

using namespace tmsteams::routing;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    auto c = Condition::parse(text);
    if (!c.ok()) {
        if (c.status().message().empty()) {
            std::abort();  // an error must say why
        }
        return 0;
    }
    RequestEnv env;
    env.roles = {"editor", "db-admin"};
    env.suggestedReviewers = {"alice@example.com"};
    env.systemAnnotations = {{"pagerduty_services", {"db"}}};
    env.user = "carol";
    env.requestReason = "fix";
    env.userTraits = {{"team", {"payments"}}};
    env.resourceLabelsUnion = {{"env", {"prod", "dev"}}};
    env.resourceLabelsIntersection = {{"team", {"payments"}}};
    (void)c->matches(env);
    (void)c->matches(RequestEnv{});
    return 0;
}
