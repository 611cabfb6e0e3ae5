// teleport-msteams validate: checks the Azure/Teams setup end to end, then sends test cards.
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/options.h"
#include "cli/validate_report.h"
#include "common/clock.h"
#include "common/files.h"
#include "plugin/config.h"
#include "plugin/ms_api_stack.h"
#include "teams/card.h"
#include "teams/recipient.h"
#include "teams/teams_messenger.h"
#include "teleport/grpc_auth_client.h"
#include "teleport/identity_file.h"

namespace tmsteams::cli {

namespace {

CommandOptions validateOptions() {
    CommandOptions o("validate", "[-c CONFIG] RECIPIENT",
                     "Checks, one by one, everything the plugin needs from Microsoft (tokens, the app in the org "
                     "catalog, each Graph permission, the recipient, the app installed for it, its chat) and, when "
                     "[teleport] credentials are configured, from Teleport; then sends a \"Hello\" card and a sample "
                     "request card to RECIPIENT (an email, an Entra ID user id or a channel link). Exits 0 only when "
                     "every check passed.");
    o.add("config", "c", "the configuration file (default /etc/teleport-msteams.toml)", "CONFIG");
    return o;
}

constexpr const char* NilGuid = "00000000-0000-0000-0000-000000000000";

// Graph refuses installs, and hides installations, of a Teams app whose manifest does not name our
// Azure AD app in webApplicationInfo.id: an app.zip written by an older configure.
constexpr const char* ReuploadFix =
    "the uploaded Teams app must name this app id in webApplicationInfo (an app.zip from an older configure "
    "lacks it): run teleport-msteams configure again on the same folder (it keeps the Teams app id), then "
    "upload the new app.zip (Teams admin center > Manage apps > the app > Upload file)";

constexpr const char* ReviewsCheck = "Teleport accepts reviews from Teams (on behalf of users)";

std::string installFix(const absl::Status& s, const std::string& usual) {
    const std::string why(s.message());
    return why.find("not allowed to manage the Teams App") != std::string::npos ? ReuploadFix : usual;
}


// Reviews from Teams are submitted by the plugin with the reviewer as author, which only clusters
// with reviews on behalf of users (Teleport's RFD 250, a draft) accept. The probe reviews a request
// that does not exist for an author who is not the caller, so nothing is ever recorded:
//   - PermissionDenied "cannot submit reviews on behalf of": Teleport checks the author first and
//     this cluster has no such reviews (every published version);
//   - NotFound: the author was accepted and the request then looked up: reviews will work;
//   - PermissionDenied otherwise: the feature is there but the plugin's role lacks
//     review_requests.submit_for_users.
void checkReviewsOnBehalf(teleport::AuthClient& auth, const std::string& pluginUser, Report& report) {
    types::AccessReviewSubmission probe;
    probe.set_requestid(NilGuid);
    probe.mutable_review()->set_author("teleport-msteams-validate-probe");
    probe.mutable_review()->set_submittedby(pluginUser);  // as the daemon's reviews carry it
    probe.mutable_review()->set_proposedstate(types::APPROVED);
    auto answer = auth.submitReview(probe);
    absl::Status s = answer.status();
    std::string fix;
    if (s.code() == absl::StatusCode::kNotFound) {
        s = absl::OkStatus();
    } else if (s.ok()) {
        s = absl::InternalError("Teleport accepted a review of a request that does not exist");
    } else if (s.code() == absl::StatusCode::kPermissionDenied &&
               std::string(s.message()).find("on behalf of") != std::string::npos) {
        s = absl::FailedPreconditionError(
            "this cluster refuses reviews submitted on behalf of users (" + std::string(s.message()).substr(0, 120) +
            "); Approve and Deny in Teams will send reviewers to Teleport's web UI");
        fix = "turn [review] off, or use a Teleport version with reviews on behalf of users (RFD 250); "
              "notifications work either way";
    } else if (s.code() == absl::StatusCode::kPermissionDenied) {
        fix = "give the plugin's role review_requests.submit_for_users (teleport-msteams-role.yaml)";
    }
    report.check(ReviewsCheck, s, fix);
}


std::string tokenFix(const absl::Status& s) {
    std::string m(s.message());
    if (m.find("invalid_client") != std::string::npos) {
        return "the app secret is wrong or expired: create a new client secret for the app registration "
               "(Entra ID > App registrations > Certificates & secrets) and set [msapi] app_secret";
    }
    if (m.find("AADSTS90002") != std::string::npos || m.find("Tenant") != std::string::npos) {
        return "the tenant was not found: check [msapi] tenant_id (Entra ID > Overview > Tenant ID)";
    }
    if (m.find("unauthorized_client") != std::string::npos || m.find("AADSTS700016") != std::string::npos) {
        return "no app registration with this id in the tenant: check [msapi] app_id and tenant_id";
    }
    return "check [msapi] login_endpoint and the network path to Microsoft";
}

// Calls `url`; a 404 still proves the permission (the object just does not exist).
absl::Status permissionProbe(msapi::ApiCaller& caller, const std::string& url, common::Clock& clock) {
    msapi::ApiCall c{"probe", "GET", url, "", "application/json", {200}, clock.steadyNow() + std::chrono::seconds(30), {}};
    auto r = caller.call(c);
    if (r.ok() || r.status().code() == absl::StatusCode::kNotFound) {
        return absl::OkStatus();
    }
    return r.status();
}

teams::CardData sampleRequest(const std::string& cluster) {
    teams::CardData d;
    d.requestId = "00000000-sample-request";
    d.cluster = cluster;
    d.user = "alice@example.com";
    d.roles = {"editor", "db-reader"};
    d.reason = "Sample request from teleport-msteams validate";
    d.approvals = 1;
    d.approvalsNeeded = 2;
    auto now = std::chrono::system_clock::now();
    d.requestExpires = now + std::chrono::hours(1);
    d.reviews = {{"bob@example.com", "APPROVED", "Looks good", now - std::chrono::minutes(5)},
                 {"carol@example.com", "DENIED", "Not during the freeze", now - std::chrono::minutes(2)}};
    return d;
}

}  // namespace

int runValidate(const std::vector<std::string>& args) {
    const auto options = validateOptions();
    int exitCode = 0;
    auto parsed = options.parse(args, exitCode);
    if (!parsed) {
        return exitCode;
    }
    if (parsed->positional.size() != 1) {
        return options.usageError(parsed->positional.empty() ? "RECIPIENT is required"
                                                             : "unexpected argument " + parsed->positional[1]);
    }
    const std::string path = parsed->has("config") ? parsed->get("config") : "/etc/teleport-msteams.toml";
    const std::string recipient = parsed->positional[0];
    auto config = plugin::loadConfig(path);
    if (!config.ok()) {
        std::cerr << "teleport-msteams: " << config.status().message() << "\n";
        return 1;
    }
    common::SystemClock clock;
    msapi::RetryPolicy quick;
    quick.maxAttempts = 3;
    auto ms = plugin::MsApiStack::create(config->msapi, clock, quick);
    const auto& mc = config->msapi;
    const auto deadline = [&] { return clock.steadyNow() + std::chrono::seconds(30); };
    teams::Recipient r = teams::parseRecipient(recipient);
    const bool reviews = config->review.enabled;
    Report report(reviews ? 17 : 16);

    std::cout << "Checking the Microsoft side for app " << mc.appId << " in tenant " << mc.tenantId << "\n\n";
    auto graphToken = ms->graphTokens->get();
    bool graphOk = report.check("Microsoft Graph token", graphToken.status(), tokenFix(graphToken.status()));
    auto botToken = ms->botTokens->get();
    bool botOk = report.check("Bot Framework token", botToken.status(), tokenFix(botToken.status()));

    std::optional<msapi::TeamsApp> app;
    if (graphOk) {
        auto a = ms->graph->getTeamsApp(mc.teamsAppId, {deadline(), {}});
        std::string fix = a.status().code() == absl::StatusCode::kPermissionDenied
                              ? "grant the application permission AppCatalog.Read.All with admin consent"
                              : "upload app.zip (from configure) in the Teams admin center; its manifest id must be " +
                                    mc.teamsAppId;
        if (report.check("Teams app " + mc.teamsAppId + " in the org catalog (AppCatalog.Read.All)", a.status(), fix)) {
            app = *a;
        }
        report.check("Graph permission User.Read.All",
                     permissionProbe(*ms->graphCaller, mc.graphEndpoint + "/v1.0/users?%24filter=" +
                                                           msapi::urlEncode(std::string("id eq '") + NilGuid + "'"), clock),
                     "grant the application permission User.Read.All with admin consent");
        report.check("Graph permission TeamsAppInstallation.ReadWriteSelfForUser.All",
                     permissionProbe(*ms->graphCaller, mc.graphEndpoint + "/v1.0/users/" + NilGuid + "/teamwork/installedApps", clock),
                     "grant the application permission TeamsAppInstallation.ReadWriteSelfForUser.All with admin consent");
        report.check("Graph permission TeamsAppInstallation.ReadWriteSelfForTeam.All",
                     permissionProbe(*ms->graphCaller, mc.graphEndpoint + "/v1.0/teams/" + NilGuid + "/installedApps", clock),
                     "grant the application permission TeamsAppInstallation.ReadWriteSelfForTeam.All with admin consent "
                     "(needed for channel recipients)");
    } else {
        for (const char* what : {"Teams app in the org catalog", "Graph permission User.Read.All",
                                 "Graph permission TeamsAppInstallation.ReadWriteSelfForUser.All",
                                 "Graph permission TeamsAppInstallation.ReadWriteSelfForTeam.All"}) {
            report.skip(what, "no Graph token");
        }
    }

    std::string conversation;
    if (!app) {
        report.skip("recipient " + recipient, "the app is not in the catalog");
        report.skip("app installed for the recipient", "the app is not in the catalog");
        report.skip("conversation with the recipient", "the app is not in the catalog");
    } else if (r.kind == teams::Recipient::Kind::Channel) {
        report.ok("recipient " + recipient, "channel \"" + r.channel.name + "\" of team " + r.channel.groupId);
        auto inst = ms->graph->getAppForTeam(r.channel.groupId, app->id, {deadline(), {}});
        absl::Status s = inst.status();
        if (s.ok() && !inst->has_value()) {
            s = absl::NotFoundError("the app is not installed in the team");
        }
        if (report.check("app installed in the team", s,
                         "add the app to the team in Teams (Apps > Manage your apps); if it is there, " +
                             std::string(ReuploadFix))) {
            conversation = r.channel.conversationId;
            report.ok("conversation with the recipient", conversation);
        } else {
            report.skip("conversation with the recipient", "the app is not installed");
        }
    } else {
        auto user = teams::findRecipientUser(*ms->graph, r, {deadline(), {}});
        if (!report.check("recipient " + recipient, user.status(),
                          "no such user in the tenant: use the user's email (mail or user principal name) or object id")) {
            report.skip("app installed for the recipient", "no user");
            report.skip("conversation with the recipient", "no user");
        } else {
            std::cout << "      user id " << user->id << " (" << user->displayName << ")\n";
            auto inst = ms->graph->getAppForUser(user->id, app->id, {deadline(), {}});
            absl::Status s = inst.status();
            if (s.ok() && !inst->has_value()) {
                s = ms->graph->installAppForUser(user->id, app->id, {deadline(), {}});
                if (s.ok()) {
                    inst = ms->graph->getAppForUser(user->id, app->id, {deadline(), {}});
                    s = inst.status();
                    if (s.ok() && !inst->has_value()) {
                        s = absl::UnavailableError("installed, but the installation is not listed yet: run validate again");
                    }
                }
            }
            if (!report.check("app installed for the recipient", s,
                              installFix(s, "allow the app for the user (Teams admin center > Manage apps > app > Allow)"))) {
                report.skip("conversation with the recipient", "the app is not installed");
            } else {
                std::cout << "      installation id " << (*inst)->id << "\n";
                auto chat = ms->graph->getChatForInstallation(user->id, (*inst)->id, {deadline(), {}});
                if (report.check("conversation with the recipient", chat.status())) {
                    conversation = *chat;
                    std::cout << "      chat id " << conversation << "\n";
                }
            }
        }
    }

    if (conversation.empty() || !botOk) {
        report.skip("\"Hello\" card sent", "no conversation or no Bot Framework token");
        report.skip("sample request card sent", "no conversation or no Bot Framework token");
    } else {
        std::string helloActivity =
            R"({"type":"message","summary":"Hello from teleport-msteams","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":"Hello from teleport-msteams!","size":"Large","weight":"Bolder","wrap":true},{"type":"TextBlock","text":"Access request cards will arrive here.","wrap":true}]}}]})";
        auto id = ms->bot->postActivity(conversation, helloActivity, {deadline(), {}});
        if (report.check("\"Hello\" card sent", id.status())) {
            std::cout << "      message id " << *id << "\n";
        }
        auto sample = ms->bot->postActivity(conversation, teams::buildActivity(sampleRequest("sample-cluster")),
                                            {deadline(), {}});
        if (report.check("sample request card sent", sample.status())) {
            std::cout << "      message id " << *sample << "\n";
        }
    }

    // Teleport: only when credentials are there to use.
    const auto& tc = config->teleport;
    std::string credPath = !tc.clientCrt.empty() ? tc.clientCrt : tc.identity;
    bool haveCreds = !credPath.empty() && common::readFile(credPath).ok();
    if (!haveCreds) {
        std::string why = credPath.empty() ? "no [teleport] credentials configured"
                                           : "credentials file " + credPath + " not found";
        for (const char* what : {"Teleport credentials", "Teleport Auth Service reachable", "watch access requests",
                                 "read and update plugin data", RulesCheck}) {
            report.skip(what, why);
        }
        if (reviews) {
            report.skip(ReviewsCheck, why);
        }
    } else {
        auto creds = !tc.clientCrt.empty() ? teleport::loadTlsFiles(tc.clientCrt, tc.clientKey, tc.rootCas)
                                           : teleport::loadIdentityFile(tc.identity);
        if (!report.check("Teleport credentials " + credPath, creds.status())) {
            report.skip("Teleport Auth Service reachable", "no credentials");
            report.skip("watch access requests", "no credentials");
            report.skip("read and update plugin data", "no credentials");
            report.skip(RulesCheck, "no credentials");
            if (reviews) {
                report.skip(ReviewsCheck, "no credentials");
            }
        } else {
            // The same connection path as start: direct, or through a Proxy (upgraded if need be).
            teleport::GrpcAuthClient auth(tc.addr, *creds, "msteams", tc.tlsRouting);
            auto ping = auth.ping();
            absl::Status s = ping.status();
            if (s.ok() && !ping->serverversion().empty()) {
                std::cout << "      cluster " << ping->clustername() << ", Teleport " << ping->serverversion() << "\n";
            }
            if (!report.check("Teleport Auth Service " + tc.addr + " reachable", s,
                              "check [teleport] addr and the credentials")) {
                report.skip("watch access requests", "not connected");
                report.skip("read and update plugin data", "not connected");
                report.skip(RulesCheck, "not connected");
                if (reviews) {
                    report.skip(ReviewsCheck, "not connected");
                }
            } else {
                auto stream = auth.watchAccessRequests(false);
                proto::Event ev;
                absl::Status ws = absl::OkStatus();
                if (!stream->next(ev) || ev.type() != proto::INIT) {
                    ws = stream->finish();
                    if (ws.ok()) {
                        ws = absl::UnavailableError("the watch ended before INIT");
                    }
                } else {
                    stream->cancel();
                }
                report.check("watch access requests", ws,
                             "give the plugin's user access_request list/read (teleport-msteams-role.yaml)");
                auto pd = auth.updatePluginData(NilGuid, {{"probe", "x"}}, {});
                if (pd.code() == absl::StatusCode::kNotFound) {
                    pd = absl::OkStatus();  // allowed: the request just does not exist
                }
                report.check("read and update plugin data", pd,
                             "give the plugin's user access_plugin_data update (teleport-msteams-role.yaml)");
                checkRoutingRules(auth, *ms, app, {deadline(), {}}, report);
                if (reviews) {
                    auto cert = teleport::inspectCertificate(creds->certPem);
                    checkReviewsOnBehalf(auth, cert.ok() ? cert->commonName : "", report);
                }
            }
        }
    }
    return report.finish();
}

}  // namespace tmsteams::cli
