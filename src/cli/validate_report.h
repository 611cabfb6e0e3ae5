// validate's numbered checks: each prints ok, FAILED with the reason and a fix, or skipped.
#pragma once

#include <iostream>
#include <optional>
#include <string>

#include <absl/status/status.h>

#include "msapi/graph_client.h"
#include "plugin/ms_api_stack.h"
#include "teleport/auth_client.h"

namespace tmsteams::cli {

class Report {
public:
    explicit Report(int total) : total_(total) {}
    bool check(const std::string& what, const absl::Status& s, const std::string& fix = "") {
        ++n_;
        if (s.ok()) {
            std::cout << "[" << n_ << "/" << total_ << "] " << what << ": ok\n";
            ++passed_;
            return true;
        }
        std::cout << "[" << n_ << "/" << total_ << "] " << what << ": FAILED\n      " << s.message() << "\n";
        if (!fix.empty()) {
            std::cout << "      fix: " << fix << "\n";
        }
        ++failed_;
        return false;
    }
    void ok(const std::string& what, const std::string& detail) {
        ++n_;
        ++passed_;
        std::cout << "[" << n_ << "/" << total_ << "] " << what << ": ok (" << detail << ")\n";
    }
    void skip(const std::string& what, const std::string& why) {
        ++n_;
        std::cout << "[" << n_ << "/" << total_ << "] " << what << ": skipped (" << why << ")\n";
    }
    int finish() {
        std::cout << "\n" << passed_ << " checks passed, " << failed_ << " failed\n";
        return failed_ == 0 ? 0 : 1;
    }
    bool failed() const { return failed_ > 0; }

private:
    int total_;
    int n_ = 0;
    int passed_ = 0;
    int failed_ = 0;
};

// The access monitoring rules that route msteams notifications, each with whether its condition
// parses and its recipients resolve in the tenant (validate_rules.cpp). One check.
void checkRoutingRules(teleport::AuthClient& auth, plugin::MsApiStack& ms, const std::optional<msapi::TeamsApp>& app,
                       const msapi::CallContext& ctx, Report& report);
inline constexpr const char* RulesCheck = "access monitoring rules for msteams: conditions parse, recipients resolve";

}  // namespace tmsteams::cli
