// What every benchmark scenario shares.
#include "deployment.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/http_client.h"
#include "teleport/grpc_channel.h"
#include "teleport/identity_file.h"
#include "teleport/proto_time.h"

namespace tmsteams::bench {

using namespace std::chrono_literals;
namespace directory = testsupport::directory;
using testsupport::binaryPath;
using testsupport::parseObject;

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string userEmail(int i) { return "user" + std::to_string(i) + "@bench.example"; }

std::string userId(int i) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", i);
    return buf;
}

namespace {

// A directory with many users, each with a mailbox.
std::string writeDirectory(const std::string& path, int users) {
    std::ostringstream d;
    d << "{\"tenantId\":\"" << directory::Tenant << "\",\"tenantDomain\":\"bench.example\",\"apps\":[{\"id\":\""
      << directory::AppId << "\",\"secret\":\"bench-secret\",\"permissions\":[\"AppCatalog.Read.All\",\"User.Read.All\","
      << "\"TeamsAppInstallation.ReadWriteSelfForUser.All\",\"TeamsAppInstallation.ReadWriteSelfForTeam.All\"]}],\"users\":[";
    for (int i = 0; i < users; ++i) {
        d << (i ? "," : "") << "{\"id\":\"" << userId(i) << "\",\"mail\":\"" << userEmail(i)
          << "\",\"userPrincipalName\":\"" << userEmail(i) << "\",\"displayName\":\"User " << i << "\"}";
    }
    d << "],\"teams\":[]}";
    std::ofstream(path) << d.str();
    return path;
}

// A loopback port nobody listens on now (bound and released: the daemon takes it next).
int freePort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

}  // namespace

ProcStats procStats(pid_t pid) {
    ProcStats s;
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("VmRSS:", 0) == 0) {
            s.rssKb = std::stol(line.substr(6));
        }
    }
    std::ifstream rollup("/proc/" + std::to_string(pid) + "/smaps_rollup");
    while (std::getline(rollup, line)) {
        if (line.rfind("Pss:", 0) == 0) {
            s.pssKb = std::stol(line.substr(4));
        }
    }
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string all((std::istreambuf_iterator<char>(stat)), {});
    auto close = all.rfind(')');
    std::istringstream fields(all.substr(close + 2));
    std::vector<std::string> f;
    std::string x;
    while (fields >> x) {
        f.push_back(x);
    }
    // utime and stime are fields 14 and 15; f[0] is field 3.
    double ticks = double(sysconf(_SC_CLK_TCK));
    s.cpuSeconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
    return s;
}

double threadsCpuNs(pid_t pid) {
    double total = 0;
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
        std::ifstream in(task.path() / "schedstat");
        double ns = 0;
        if (in >> ns) {
            total += ns;
        }
    }
    return total;
}

Deployment::Deployment(const Config& c) : cfg_(c) {
    std::vector<std::string> authArgs = {"--persist-interval-ms", "500"};
    if (c.review) {
        authArgs.insert(authArgs.end(), {"--user", "admin=admin", "--user", "teleport-msteams=plugin-review", "--person",
                                         "reviewer0:reviewer:msteams_uid=" + userId(0)});
    }
    auth_ = std::make_unique<FakeAuth>(tmp_ / "auth", authArgs);
    std::vector<std::string> g = {"--directory", writeDirectory(tmp_ / "directory.json", c.users), "--latency-ms",
                                  std::to_string(c.latencyMs), "--threads", "256"};
    if (!c.throttle) {
        g.push_back("--no-throttle");
    }
    if (c.publishApp) {
        g.insert(g.end(), {"--catalog-app", "11111111-2222-4333-8444-555555555555=" + directory::AppId});
    }
    graph_ = std::make_unique<FakeGraph>(tmp_.path(), g);
    auto list = [](const std::vector<std::string>& v) {
        std::string out;
        for (const auto& r : v) {
            out += (out.empty() ? "" : ", ") + ("\"" + r + "\"");
        }
        return out;
    };
    config_ = tmp_ / "bench.toml";
    std::ofstream conf(config_);
    conf << "preload = " << (c.preload ? "true" : "false") << "\n[teleport]\naddr = \"" << auth_->addr()
         << "\"\nidentity = \"" << auth_->identity("teleport-msteams") << "\"\n"
         << "[msapi]\napp_id = \"" << directory::AppId << "\"\napp_secret = \"bench-secret\"\n"
         << "tenant_id = \"" << directory::Tenant << "\"\nteams_app_id = \"11111111-2222-4333-8444-555555555555\"\n"
         << "login_endpoint = \"" << graph_->url() << "\"\ngraph_endpoint = \"" << graph_->url()
         << "\"\nbot_endpoint = \"" << graph_->url() << "\"\nbot_pacing = " << (c.pacing ? "true" : "false")
         << "\n[role_to_recipients]\n\"*\" = [" << list(c.star) << "]\nwarm-only = [" << list(c.warm) << "]\n"
         << "[log]\nseverity = \"WARN\"\n";
    if (c.status) {
        statusPort_ = freePort();
        conf << "[http]\nlisten = \"127.0.0.1:" << statusPort_ << "\"\n";
    }
    if (c.review) {
        reviewPort_ = freePort();
        botCa_ = tmp_ / "bot-cert.pem";
        auto r = testsupport::runCommand({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                                          tmp_ / "bot-key.pem", "-out", botCa_, "-days", "2", "-subj", "/CN=127.0.0.1",
                                          "-addext", "subjectAltName=IP:127.0.0.1", "-addext",
                                          "basicConstraints=critical,CA:TRUE"},
                                         30s);
        if (r.exitCode != 0) {
            throw std::runtime_error("openssl: " + r.err);
        }
        conf << "[review]\nenabled = true\nlisten = \"127.0.0.1:" << reviewPort_ << "\"\ntls_cert = \"" << botCa_
             << "\"\ntls_key = \"" << (tmp_ / "bot-key.pem") << "\"\nopenid_metadata = \"" << graph_->url()
             << "/v1/.well-known/openidconfiguration\"\n";
    }
    conf.close();
    auto creds = teleport::loadIdentityFile(auth_->identity("admin"));
    stub_ = proto::AuthService::NewStub(teleport::makeAuthChannel(auth_->addr(), *creds));
}

std::unique_ptr<teleport::GrpcAuthClient> Deployment::pluginClient() {
    auto creds = teleport::loadIdentityFile(auth_->identity("teleport-msteams"));
    if (!creds.ok()) {
        throw std::runtime_error("identity: " + std::string(creds.status().message()));
    }
    return std::make_unique<teleport::GrpcAuthClient>(auth_->addr(), *creds, "msteams");
}

Deployment::~Deployment() {
    if (daemon_) {
        daemon_->signal(SIGTERM);
        daemon_->wait(20s);
    }
}

double Deployment::startDaemon() {
    const std::string sockPath = tmp_ / "notify.sock";
    int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, sockPath.c_str(), sizeof addr.sun_path - 1);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        throw std::runtime_error("cannot bind " + sockPath);
    }
    timeval tv{0, 100000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    auto t0 = Clock::now();
    daemon_ = std::make_unique<Process>(std::vector<std::string>{binaryPath("TELEPORT_MSTEAMS"), "start", "-c", config_},
                                        tmp_.path(), std::map<std::string, std::string>{{"NOTIFY_SOCKET", sockPath}});
    // READY=1 comes once Teleport is watched; Microsoft is reached beside it (and the recipients
    // preloaded), which STATUS= says. Scenarios start measuring after both.
    double readyMs = -1;
    bool reached = false;
    while (readyMs < 0 || !reached) {
        char buf[256];
        ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        const std::string msg = n > 0 ? std::string(buf, size_t(n)) : "";
        if (msg.rfind("READY=1", 0) == 0 && readyMs < 0) {
            readyMs = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        } else if (msg.find("STATUS=Microsoft Teams reached") != std::string::npos) {
            reached = true;
        }
        if (!daemon_->running() || Clock::now() - t0 > 60s) {
            ::close(fd);
            throw std::runtime_error("daemon did not start: " + daemon_->stderrText());
        }
    }
    ::close(fd);
    return readyMs;
}

std::pair<std::string, int64_t> Deployment::create(const std::string& user, const std::vector<std::string>& reviewers) {
    types::AccessRequestV3 r;
    r.set_kind("access_request");
    r.set_version("v3");
    r.mutable_spec()->set_user(user);
    r.mutable_spec()->add_roles("bench");
    r.mutable_spec()->set_requestreason("benchmark");
    for (const auto& rv : reviewers) {
        r.mutable_spec()->add_suggestedreviewers(rv);
    }
    teleport::toProtoTime(std::nullopt, r.mutable_spec()->mutable_expires());
    grpc::ClientContext ctx;
    teleport::prepareContext(ctx, 30s);
    types::AccessRequestV3 out;
    auto s = stub_->CreateAccessRequestV2(&ctx, r, &out);
    if (!s.ok()) {
        throw std::runtime_error("create: " + s.error_message());
    }
    return {out.metadata().name(), nowMs()};
}

void Deployment::createPosted(int n) {
    std::vector<std::thread> creators;
    for (int w = 0; w < 8; ++w) {
        creators.emplace_back([&, w] {
            for (int i = w; i < n; i += 8) {
                create("requester", {});
            }
        });
    }
    for (auto& t : creators) {
        t.join();
    }
    const auto end = Clock::now() + 30min;
    while (Clock::now() < end && stat("bot.post", 201) < uint64_t(n)) {
        std::this_thread::sleep_for(500ms);
    }
}

std::vector<std::pair<std::string, int64_t>> Deployment::cards(const std::string& id) {
    auto resp = graph_->control("GET", "/_fake/activities?history=0&contains=" + testsupport::formEncode(id));
    std::vector<std::pair<std::string, int64_t>> out;
    auto list = parseObject(resp.body)->getArray("activities");
    for (size_t i = 0; i < list->size(); ++i) {
        auto a = list->getObject(static_cast<unsigned>(i));
        out.emplace_back(a->getValue<std::string>("conversationId"), a->getValue<int64_t>("receivedMs"));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Deployment::allCards() {
    auto resp = graph_->control("GET", "/_fake/activities?history=0");
    std::vector<std::pair<std::string, std::string>> out;
    auto list = parseObject(resp.body)->getArray("activities");
    for (size_t i = 0; i < list->size(); ++i) {
        auto a = list->getObject(static_cast<unsigned>(i));
        std::ostringstream card;
        if (auto obj = a->getObject("card")) {
            obj->stringify(card);
        }
        std::string text = card.str();
        auto at = text.find("Access Request ");
        std::string id = at == std::string::npos ? "" : text.substr(at + 15, 36);
        out.emplace_back(a->getValue<std::string>("conversationId"), id);
    }
    return out;
}

uint64_t Deployment::stat(const std::string& route, int status) {
    auto routes = parseObject(graph_->control("GET", "/_fake/stats").body)->getObject("routes");
    auto r = routes->getObject(route);
    return r && r->has(std::to_string(status)) ? r->getValue<uint64_t>(std::to_string(status)) : 0;
}

uint64_t Deployment::totalCalls() {
    uint64_t n = 0;
    auto routes = parseObject(graph_->control("GET", "/_fake/stats").body)->getObject("routes");
    for (const auto& name : routes->getNames()) {
        auto r = routes->getObject(name);
        for (const auto& code : r->getNames()) {
            n += r->getValue<uint64_t>(code);
        }
    }
    return n;
}

uint64_t Deployment::throttled() {
    uint64_t n = 0;
    auto routes = parseObject(graph_->control("GET", "/_fake/stats").body)->getObject("routes");
    for (const auto& name : routes->getNames()) {
        auto r = routes->getObject(name);
        if (r->has("429")) {
            n += r->getValue<uint64_t>("429");
        }
    }
    return n;
}

double Deployment::metric(const std::string& series) {
    std::istringstream in(testsupport::httpGet(statusUrl() + "/metrics").body);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(series + " ", 0) == 0) {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return NAN;
}

std::map<std::string, double> Deployment::authCalls() {
    // One scrape for all kinds (scrapes cost CPU that S3 measures); the kinds are what the daemon exports.
    std::map<std::string, double> calls;
    const std::string prefix = "teleport_msteams_auth_calls_total{call=\"";
    const auto scrape = testsupport::httpGet(statusUrl() + "/metrics");
    std::istringstream in(scrape.body);
    for (std::string line; std::getline(in, line);) {
        const auto end = line.find("\"} ");
        if (line.rfind(prefix, 0) == 0 && end != std::string::npos) {
            calls[line.substr(prefix.size(), end - prefix.size())] = std::stod(line.substr(end + 3));
        }
    }
    if (scrape.status != 200 || calls.empty()) {  // else it would read as no calls, within S6's limit
        throw std::runtime_error("/metrics answered " + std::to_string(scrape.status) + " without Auth calls");
    }
    return calls;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return NAN;
    }
    std::sort(v.begin(), v.end());
    double rank = p / 100.0 * double(v.size() - 1);
    size_t lo = size_t(std::floor(rank)), hi = size_t(std::ceil(rank));
    return v[lo] + (v[hi] - v[lo]) * (rank - double(lo));
}

int64_t waitCards(Deployment& d, const std::string& id, size_t count, std::chrono::milliseconds limit) {
    auto end = Clock::now() + limit;
    for (;;) {
        auto cs = d.cards(id);
        if (cs.size() >= count) {
            int64_t last = 0;
            for (const auto& c : cs) {
                last = std::max(last, c.second);
            }
            return last;
        }
        if (Clock::now() > end) {
            throw std::runtime_error("request " + id + ": " + std::to_string(cs.size()) + " of " +
                                     std::to_string(count) + " cards within the limit");
        }
        std::this_thread::sleep_for(10ms);
    }
}

double Figure::min() const { return *std::min_element(runs.begin(), runs.end()); }
double Figure::max() const { return *std::max_element(runs.begin(), runs.end()); }

std::vector<Figure>& figures() {
    static std::vector<Figure> all;
    return all;
}

Figure& figure(const std::string& name, const std::string& unit, double limit) {
    for (auto& f : figures()) {
        if (f.name == name) {
            return f;
        }
    }
    figures().push_back({name, unit, limit, {}});
    return figures().back();
}

}  // namespace tmsteams::bench
