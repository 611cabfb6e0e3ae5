// Reviews from Teams.
#include "plugin/review_handler.h"

#include "common/json_escape.h"
#include "common/log.h"
#include "common/metrics.h"
#include "teams/card.h"
#include "teleport/proto_time.h"

namespace tmsteams::plugin {

namespace {
void count(const std::string& outcome) {
    common::Metrics::instance()
        .counter("teleport_msteams_card_actions_total", "Approve, Deny and refresh actions from cards, by outcome.",
                 {{"outcome", outcome}})
        .inc();
}
}  // namespace

std::string invokeCardReply(const std::string& cardJson) {
    return R"({"statusCode":200,"type":"application/vnd.microsoft.card.adaptive","value":)" + cardJson + "}";
}

std::string invokeMessageReply(const std::string& text) {
    return R"({"statusCode":200,"type":"application/vnd.microsoft.activity.message","value":)" +
           common::jsonQuote(text) + "}";
}

ReviewHandler::ReviewHandler(teleport::AuthClient& auth, const RequestHandler& cards, common::Clock& clock,
                             ReviewSettings settings, EmailLookup emailOf)
    : auth_(auth), cards_(cards), clock_(clock), settings_(std::move(settings)), emailOf_(std::move(emailOf)) {}

absl::StatusOr<std::string> ReviewHandler::teleportUser(const std::string& aadObjectId) {
    const auto now = clock_.steadyNow();
    {
        std::lock_guard lock(knownMu_);
        auto it = known_.find(aadObjectId);
        if (it != known_.end() && now - it->second.at < std::chrono::minutes(1)) {
            return it->second.user;
        }
    }
    auto user = lookUp(aadObjectId);
    // Remember answers, not outages: a Teleport error is asked again next time.
    if (user.ok() || user.status().code() == absl::StatusCode::kNotFound) {
        std::lock_guard lock(knownMu_);
        if (known_.size() > 10000) {
            known_.clear();  // bounded, whoever sends ids
        }
        known_[aadObjectId] = {user, now};
    }
    return user;
}

absl::StatusOr<std::string> ReviewHandler::lookUp(const std::string& aadObjectId) {
    if (aadObjectId.empty()) {
        return absl::NotFoundError("the action carries no Entra ID user");
    }
    auto byTrait = auth_.usersWithTrait(settings_.userIdTrait, aadObjectId);
    if (!byTrait.ok()) {
        return byTrait.status();
    }
    if (byTrait->size() == 1) {
        return byTrait->front();
    }
    if (byTrait->size() > 1) {
        return absl::NotFoundError(std::to_string(byTrait->size()) + " Teleport users have trait " +
                                   settings_.userIdTrait + " = " + aadObjectId);
    }
    if (!settings_.allowEmailUsernameMatch || !emailOf_) {
        return absl::NotFoundError("no Teleport user has trait " + settings_.userIdTrait + " = " + aadObjectId);
    }
    auto email = emailOf_(aadObjectId);
    if (!email.ok()) {
        return email.status();
    }
    auto exists = auth_.getUser(*email);
    if (!exists.ok()) {
        return exists.status();
    }
    if (!exists->has_value()) {
        return absl::NotFoundError("no Teleport user is named " + *email);
    }
    return *email;
}

std::string ReviewHandler::cardReply(const types::AccessRequestV3& request, bool withButtons) const {
    teams::CardData c = cards_.cardFor(request);
    c.reviewButtons = withButtons && c.status == teams::CardStatus::Pending;
    return invokeCardReply(teams::buildCard(c));
}

InvokeReply ReviewHandler::handle(const CardAction& action) {
    const bool review = action.verb == teams::VerbApprove || action.verb == teams::VerbDeny;
    if (!review && action.verb != teams::VerbRefresh) {
        count("unknown_verb");
        return {invokeMessageReply("This card action is not known to the Teleport plugin."), false};
    }
    auto request = auth_.getAccessRequest(action.requestId);
    if (!request.ok()) {
        count("teleport_error");
        common::logWarn("cannot read the request for a card action",
                        {{"request", action.requestId}, {"error", std::string(request.status().message())}});
        return {invokeMessageReply("Teleport cannot be reached right now; try again in a minute."), false};
    }
    if (!request->has_value()) {
        count("gone");
        return {invokeMessageReply("This access request no longer exists (it expired or was deleted)."), false};
    }
    const auto& req = **request;
    auto user = teleportUser(action.aadObjectId);
    if (action.verb == teams::VerbRefresh) {
        // Buttons only for someone who could review: a known Teleport user, not the requester.
        const bool eligible =
            user.ok() && *user != req.spec().user() && req.spec().requestkind() != types::LONG_TERM;
        count(eligible ? "refresh_reviewer" : "refresh_viewer");
        return {cardReply(req, eligible), false};
    }
    if (!user.ok()) {
        count("unknown_user");
        common::logWarn("a card action from a Teams user without a Teleport user",
                        {{"request", action.requestId}, {"entra_id", action.aadObjectId},
                         {"error", std::string(user.status().message())}});
        return {invokeMessageReply("Your Teams account is not linked to a Teleport user, so Teleport cannot take "
                                   "your review here. Review the request in Teleport instead."),
                false};
    }
    if (req.spec().requestkind() == types::LONG_TERM) {
        count("long_term");
        return {invokeMessageReply("Long-term requests are granted by promotion to an access list: review this one in "
                                   "Teleport's web UI."),
                false};
    }
    if (req.spec().state() != types::PENDING) {
        count("already_resolved");
        return {invokeMessageReply("This access request is already " +
                                   std::string(teams::statusWord(cards_.cardFor(req).status)) + "."),
                false};
    }
    types::AccessReviewSubmission sub;
    sub.set_requestid(action.requestId);
    auto* r = sub.mutable_review();
    r->set_author(*user);
    r->set_proposedstate(action.verb == teams::VerbApprove ? types::APPROVED : types::DENIED);
    r->set_reason(action.reason);
    r->set_submittedby(settings_.pluginUser);
    teleport::toProtoTime(clock_.now(), r->mutable_created());
    auto after = auth_.submitReview(sub);
    if (!after.ok()) {
        const auto code = after.status().code();
        std::string text;
        std::string outcome;
        const std::string why(after.status().message());
        if (code == absl::StatusCode::kPermissionDenied && why.find("on behalf of") != std::string::npos) {
            // A cluster without reviews on behalf of users (Teleport's RFD 250): every click would
            // fail the same way, so the reviewer is sent to the web UI and the admin told once.
            const std::string url = cards_.cardFor(req).webUrl;
            text = "This Teleport cluster does not accept reviews from Teams (it does not let the plugin submit a "
                   "review on your behalf). Review the request in Teleport: " +
                   (url.empty() ? "tsh request review --approve " + action.requestId : url);
            outcome = "on_behalf_unsupported";
            if (!toldOnBehalfUnsupported_.exchange(true)) {
                common::logError("the Teleport cluster refuses reviews submitted on behalf of users, so Approve and "
                                 "Deny in Teams cannot work; cards and notifications are unaffected",
                                 {{"error", why.substr(0, 200)},
                                  {"fix", "use a Teleport version with reviews on behalf of users (RFD 250, "
                                          "review_requests.submit_for_users), or turn [review] off"}});
            }
        } else if (code == absl::StatusCode::kPermissionDenied) {
            text = "Teleport does not allow you to review this request.";
            outcome = "denied";
        } else if (code == absl::StatusCode::kAlreadyExists) {
            text = "You have already reviewed this request.";
            outcome = "already_reviewed";
        } else if (code == absl::StatusCode::kNotFound) {
            text = "This access request no longer exists (it expired or was deleted).";
            outcome = "gone";
        } else {
            text = "Teleport could not take your review; try again in a minute.";
            outcome = "teleport_error";
        }
        count(outcome);
        common::logWarn("a review from Teams was refused", {{"request", action.requestId}, {"user", *user},
                                                            {"error", std::string(after.status().message())}});
        return {invokeMessageReply(text), false};
    }
    count(action.verb);
    common::logInfo("review submitted from Teams", {{"request", action.requestId}, {"user", *user},
                                                     {"verdict", action.verb}});
    // The reviewer sees the request as it is now; every other card follows through the watch.
    return {cardReply(*after, false), true};
}

}  // namespace tmsteams::plugin
