// A running fake-msgraph with helpers for tokens, app publishing and inspection.
#include "fake_graph_handle.h"

#include <sstream>
#include <stdexcept>

#include <Poco/JSON/Parser.h>
#include <Poco/Zip/Compress.h>

namespace tmsteams::testsupport {

FakeGraph::FakeGraph(const std::string& logDir, std::vector<std::string> extraArgs) {
    std::vector<std::string> argv = {binaryPath("FAKE_MSGRAPH"), "--listen", "127.0.0.1:0"};
    argv.insert(argv.end(), extraArgs.begin(), extraArgs.end());
    proc_ = std::make_unique<Process>(argv, logDir);
    auto ready = proc_->waitForLine("ready ", 15s);
    if (!ready) {
        throw std::runtime_error("fake-msgraph did not start: " + proc_->stderrText());
    }
    url_ = *ready;
    if (auto ca = proc_->waitForLine("ca ", 1s)) {
        caFile_ = *ca;
    }
}

HttpResponse FakeGraph::tokenRequest(const std::string& appId, const std::string& secret,
                                     const std::string& scope, const std::string& tenant) {
    std::string body = "client_id=" + formEncode(appId) + "&client_secret=" + formEncode(secret) +
                       "&grant_type=client_credentials&scope=" + formEncode(scope);
    HttpRequest r;
    r.method = "POST";
    r.url = url_ + "/" + tenant + "/oauth2/v2.0/token";
    r.body = body;
    r.headers = {"Content-Type: application/x-www-form-urlencoded"};
    r.caFile = caFile_;
    return httpDo(r);
}

std::string FakeGraph::token(const std::string& scope, const std::string& appId,
                             const std::string& secret) {
    auto r = tokenRequest(appId, secret, scope);
    if (r.status != 200) {
        throw std::runtime_error("token request failed: " + std::to_string(r.status) + " " + r.body);
    }
    return parseObject(r.body)->getValue<std::string>("access_token");
}

std::string FakeGraph::appPackage(const std::string& manifestId, const std::string& botId) {
    std::string manifest = R"({"manifestVersion":"1.17","version":"1.0.0","id":")" + manifestId +
                           R"(","name":{"short":"TeleBot","full":"TeleBot"},)"
                           R"("icons":{"color":"color.png","outline":"outline.png"},)"
                           R"("webApplicationInfo":{"id":")" + botId + R"(","resource":"https://inapplicable"},)"
                           R"("bots":[{"botId":")" + botId + R"(","scopes":["personal","team"]}]})";
    std::ostringstream zip;
    Poco::Zip::Compress c(zip, true);
    for (auto [name, data] : {std::pair<std::string, std::string>{"manifest.json", manifest},
                              {"color.png", "png-color"}, {"outline.png", "png-outline"}}) {
        std::istringstream in(data);
        c.addFile(in, Poco::DateTime(), name);
    }
    c.close();
    return zip.str();
}

std::string FakeGraph::publishApp(const std::string& manifestId) {
    auto t = token(GraphScope);
    auto r = graph("POST", "/v1.0/appCatalogs/teamsApps", t, appPackage(manifestId, directory::AppId),
                   "application/zip");
    if (r.status != 201) {
        throw std::runtime_error("publish failed: " + std::to_string(r.status) + " " + r.body);
    }
    return parseObject(r.body)->getValue<std::string>("id");
}

HttpResponse FakeGraph::graph(const std::string& method, const std::string& pathAndQuery,
                              const std::string& token, const std::string& body,
                              const std::string& contentType) {
    HttpRequest r;
    r.method = method;
    r.url = url_ + pathAndQuery;
    r.body = body;
    r.headers = {"Authorization: Bearer " + token, "Content-Type: " + contentType};
    r.caFile = caFile_;
    return httpDo(r);
}

HttpResponse FakeGraph::bot(const std::string& method, const std::string& pathAndQuery,
                            const std::string& token, const std::string& body) {
    return graph(method, pathAndQuery, token, body, "application/json");
}

HttpResponse FakeGraph::control(const std::string& method, const std::string& path,
                                const std::string& body) {
    HttpRequest r;
    r.method = method;
    r.url = url_ + path;
    r.body = body;
    r.headers = {"Content-Type: application/json"};
    r.caFile = caFile_;
    return httpDo(r);
}

std::string FakeGraph::installAndGetChat(const std::string& graphToken, const std::string& userId,
                                         const std::string& catalogId) {
    auto install = graph("POST", "/v1.0/users/" + userId + "/teamwork/installedApps", graphToken,
                         R"({"teamsApp@odata.bind":"https://graph.microsoft.com/v1.0/appCatalogs/teamsApps/)" +
                             catalogId + R"("})");
    if (install.status != 201 && install.status != 409) {
        throw std::runtime_error("install failed: " + install.body);
    }
    auto list = graph("GET", "/v1.0/users/" + userId +
                                 "/teamwork/installedApps?%24expand=teamsApp&%24filter=teamsApp%2Fid+eq+%27" +
                                 catalogId + "%27",
                      graphToken);
    auto iid = parseObject(list.body)->getArray("value")->getObject(0)->getValue<std::string>("id");
    auto chat = graph("GET", "/v1.0/users/" + userId + "/teamwork/installedApps/" + iid + "/chat", graphToken);
    return parseObject(chat.body)->getValue<std::string>("id");
}

Poco::JSON::Object::Ptr parseObject(const std::string& json) {
    Poco::JSON::Parser parser;
    return parser.parse(json).extract<Poco::JSON::Object::Ptr>();
}

std::string cardActivity(const std::string& text) {
    return R"({"type":"message","from":{"id":"29:x","name":"TeleBot"},"attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","content":{"type":"AdaptiveCard","version":"1.2","body":[{"type":"TextBlock","text":")" +
           text + R"(","size":"large"},{"type":"FactSet","facts":[{"title":"User","value":"alice"}]}]}}]})";
}

}  // namespace tmsteams::testsupport
