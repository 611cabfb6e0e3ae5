// An in-memory AuthClient backed by the fake Auth Service's state machine, for handler tests
// that need Teleport's real compare-and-swap semantics.
#pragma once

#include "request_store.h"
#include "teleport/auth_client.h"

namespace tmsteams::testing {

class StoreAuthClient final : public teleport::AuthClient {
public:
    fakeauth::RequestStore store{nullptr, nullptr};
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
    int updates = 0;
    int reads = 0;  // getPluginData calls
    int failUpdates = 0;  // the next N updates fail as if Teleport were unreachable

    absl::StatusOr<proto::PingResponse> ping() override { return proto::PingResponse(); }
    std::unique_ptr<teleport::WatchStream> watchAccessRequests(bool) override { return nullptr; }
    absl::StatusOr<std::optional<teleport::PluginDataMap>> getPluginData(const std::string& id) override {
        ++reads;
        types::PluginDataFilter f;
        f.set_kind("access_request");
        f.set_resource(id);
        f.set_plugin("msteams");
        for (const auto& pd : store.getPluginData(f, now)) {
            const auto& d = pd.spec().entries().at("msteams").data();
            return std::optional<teleport::PluginDataMap>(teleport::PluginDataMap(d.begin(), d.end()));
        }
        return std::optional<teleport::PluginDataMap>();
    }
    absl::StatusOr<std::map<std::string, teleport::PluginDataMap>> listPluginData() override {
        return std::map<std::string, teleport::PluginDataMap>();
    }
    absl::Status updatePluginData(const std::string& id, const teleport::PluginDataMap& set,
                                  const teleport::PluginDataMap& expect) override {
        ++updates;
        if (failUpdates > 0) {
            --failUpdates;
            return absl::UnavailableError("connection refused");
        }
        types::PluginDataUpdateParams p;
        p.set_kind("access_request");
        p.set_resource(id);
        p.set_plugin("msteams");
        p.mutable_set()->insert(set.begin(), set.end());
        p.mutable_expect()->insert(expect.begin(), expect.end());
        auto s = store.updatePluginData(p, now);
        if (s.code() == absl::StatusCode::kFailedPrecondition) {
            return absl::AbortedError(s.message());
        }
        return s;
    }
    absl::StatusOr<std::vector<types::AccessRequestV3>> listAccessRequests() override {
        return store.list({});
    }
    absl::StatusOr<std::optional<types::AccessRequestV3>> getAccessRequest(const std::string& id) override {
        types::AccessRequestFilter f;
        f.set_id(id);
        auto l = store.list(f);
        if (l.empty()) {
            return std::optional<types::AccessRequestV3>();
        }
        return std::optional<types::AccessRequestV3>(l.front());
    }

    // People and their traits, for reviews from Teams.
    std::map<std::string, std::map<std::string, std::string>> people;
    absl::StatusOr<std::vector<std::string>> usersWithTrait(const std::string& trait,
                                                            const std::string& value) override {
        std::vector<std::string> out;
        for (const auto& [name, traits] : people) {
            auto it = traits.find(trait);
            if (it != traits.end() && it->second == value) {
                out.push_back(name);
            }
        }
        return out;
    }
    absl::StatusOr<std::optional<teleport::UserTraits>> getUser(const std::string& name) override {
        auto it = people.find(name);
        if (it == people.end()) {
            return std::optional<teleport::UserTraits>();
        }
        teleport::UserTraits t;
        for (const auto& [k, v] : it->second) {
            t[k] = {v};
        }
        return std::optional<teleport::UserTraits>(t);
    }
    absl::StatusOr<types::AccessRequestV3> submitReview(const types::AccessReviewSubmission& s) override {
        return store.submitReview(s, now);
    }
    // Routing and card details: none unless a test sets them.
    std::vector<teleport::AccessMonitoringRule> rules;
    absl::StatusOr<std::vector<teleport::AccessMonitoringRule>> listAccessMonitoringRules() override { return rules; }
    absl::StatusOr<std::vector<proto::PaginatedResource>> listResourcesByName(const std::string&,
                                                                             const std::vector<std::string>&) override {
        return std::vector<proto::PaginatedResource>();
    }
    absl::StatusOr<std::optional<types::RoleV6>> getRole(const std::string&) override {
        return std::optional<types::RoleV6>();
    }

    // Creates a request the way the server would.
    types::AccessRequestV3 create(const std::string& user, std::vector<std::string> roles,
                                  std::vector<std::string> reviewers = {}) {
        types::AccessRequestV3 r;
        r.mutable_spec()->set_user(user);
        for (auto& role : roles) {
            r.mutable_spec()->add_roles(role);
        }
        for (auto& rv : reviewers) {
            r.mutable_spec()->add_suggestedreviewers(rv);
        }
        r.mutable_spec()->set_requestreason("because");
        return *store.create(r, now);
    }
    types::AccessRequestV3 review(const std::string& id, const std::string& author, types::RequestState verdict) {
        types::AccessReviewSubmission s;
        s.set_requestid(id);
        s.mutable_review()->set_author(author);
        s.mutable_review()->set_proposedstate(verdict);
        return *store.submitReview(s, now);
    }
};

}  // namespace tmsteams::testing
