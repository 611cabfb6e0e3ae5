// The one place a request becomes a card.
#include "plugin/request_card.h"

#include <algorithm>
#include <cstdio>

#include "common/time_format.h"
#include "teleport/proto_time.h"

namespace tmsteams::plugin {

namespace {

using teams::CardStatus;

CardStatus statusFor(const std::string& resolution) {
    if (resolution == "APPROVED") return CardStatus::Approved;
    if (resolution == "DENIED") return CardStatus::Denied;
    if (resolution == "PROMOTED") return CardStatus::Promoted;
    if (resolution == "EXPIRED") return CardStatus::Expired;
    return CardStatus::Pending;
}

}  // namespace

const char* resolutionFor(types::RequestState s) {
    switch (s) {
    case types::APPROVED: return "APPROVED";
    case types::DENIED: return "DENIED";
    case types::PROMOTED: return "PROMOTED";
    default: return "";
    }
}

std::string resourceName(const types::ResourceID& id) {
    std::string out = "/" + id.clustername() + "/" + id.kind() + "/" + id.name();
    if (!id.subresourcename().empty()) {
        out += "/" + id.subresourcename();
    }
    return out;
}

std::string requestUrl(const std::string& proxyAddr, const std::string& requestId) {
    if (proxyAddr.empty()) {
        return "";
    }
    std::string base = proxyAddr;
    if (base.find("://") == std::string::npos) {
        base = "https://" + base;
    }
    if (base.size() > 4 && base.compare(base.size() - 4, 4, ":443") == 0) {
        base.resize(base.size() - 4);
    }
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    std::string id;
    for (char c : requestId) {
        if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~') {
            id += c;
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            id += buf;
        }
    }
    return base + "/web/requests/" + id;
}

RequestView viewOf(const types::AccessRequestV3& req) {
    RequestView v;
    const auto& spec = req.spec();
    v.id = req.metadata().name();
    v.live = true;
    v.longTerm = spec.requestkind() == types::LONG_TERM;
    v.resolution = resolutionFor(spec.state());
    auto& c = v.facts;
    c.user = spec.user();
    c.roles.assign(spec.roles().begin(), spec.roles().end());
    for (const auto& r : spec.requestedresourceids()) {
        c.resources.push_back(resourceName(r));
    }
    c.reason = spec.requestreason();
    c.resolveReason = spec.resolvereason();
    c.accessList = spec.accesslist().title().empty() ? spec.accesslist().name() : spec.accesslist().title();
    for (const auto& r : spec.reviews()) {
        c.reviews.push_back({r.author(), types::RequestState_Name(r.proposedstate()), r.reason(),
                             teleport::fromProtoTime(r.created())});
        if (r.proposedstate() == types::APPROVED) {
            ++c.approvals;
        }
    }
    for (const auto& t : spec.thresholds()) {
        c.approvalsNeeded = std::max<int>(c.approvalsNeeded, static_cast<int>(t.approve()));
    }
    c.suggestedReviewers.assign(spec.suggestedreviewers().begin(), spec.suggestedreviewers().end());
    if (req.metadata().has_expires()) {
        c.requestExpires = teleport::fromProtoTime(req.metadata().expires());
    }
    c.accessExpires = teleport::fromProtoTime(spec.expires());
    c.maxDuration = teleport::fromProtoTime(spec.maxduration());
    return v;
}

RequestView viewOf(const std::string& id, const PluginData& d) {
    RequestView v;
    v.id = id;
    v.resolution = d.resolution.empty() ? "EXPIRED" : d.resolution;
    auto& c = v.facts;
    c.user = d.user;
    c.roles = d.roles;
    c.resources = d.resources;
    c.reason = d.requestReason;
    c.resolveReason = d.resolveReason;
    c.suggestedReviewers = d.suggestedReviewers;
    return v;
}

teams::CardData cardFor(const RequestView& v, const CardContext& ctx) {
    teams::CardData c = v.facts;
    c.requestId = v.id;
    c.cluster = ctx.clusterName;
    c.status = statusFor(v.resolution);
    // A gone request has no page in the web UI any more.
    c.webUrl = v.live ? requestUrl(ctx.webProxyAddr, v.id) : "";
    // Long-term requests are granted by promotion to an access list, in Teleport's web UI.
    c.refresh = v.live && ctx.reviewFromTeams && c.status == CardStatus::Pending && !v.longTerm;
    return c;
}

PluginData rememberRequest(const types::AccessRequestV3& req) {
    PluginData d;
    d.user = req.spec().user();
    d.roles.assign(req.spec().roles().begin(), req.spec().roles().end());
    for (const auto& r : req.spec().requestedresourceids()) {
        d.resources.push_back(resourceName(r));
    }
    d.requestReason = req.spec().requestreason();
    d.suggestedReviewers.assign(req.spec().suggestedreviewers().begin(), req.spec().suggestedreviewers().end());
    if (auto md = teleport::fromProtoTime(req.spec().maxduration())) {
        d.maxDuration = common::formatRfc3339(*md);
    }
    return d;
}

}  // namespace tmsteams::plugin
