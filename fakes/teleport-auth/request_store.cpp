// The fake Auth Service's state machine for access requests and plugin data.
#include "request_store.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "common/uuid.h"
#include "teleport/proto_time.h"

namespace tmsteams::fakeauth {

using teleport::fromProtoTime;
using teleport::toProtoTime;

namespace {

constexpr const char* KindAccessRequest = "access_request";

bool isResolved(types::RequestState s) {
    return s == types::APPROVED || s == types::DENIED || s == types::PROMOTED;
}

std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

bool matches(const types::AccessRequestV3& r, const types::AccessRequestFilter& f) {
    if (!f.id().empty() && r.metadata().name() != f.id()) {
        return false;
    }
    if (!f.user().empty() && r.spec().user() != f.user()) {
        return false;
    }
    if (f.state() != types::NONE && r.spec().state() != f.state()) {
        return false;
    }
    if (f.scope() == types::MY_REQUESTS && !f.requester().empty() &&
        r.spec().user() != f.requester()) {
        return false;
    }
    if (!f.searchkeywords().empty()) {
        std::string hay = lower(r.metadata().name() + " " + r.spec().user() + " " +
                                r.spec().requestreason());
        for (const auto& role : r.spec().roles()) {
            hay += " " + lower(role);
        }
        for (const auto& kw : f.searchkeywords()) {
            if (hay.find(lower(kw)) == std::string::npos) {
                return false;
            }
        }
    }
    return true;
}

int64_t nanos(const google::protobuf::Timestamp& ts) {
    return ts.seconds() * 1'000'000'000LL + ts.nanos();
}

// A key that orders like the requested sort and survives deletions between pages.
std::string sortKey(const types::AccessRequestV3& r, proto::AccessRequestSort sort) {
    char created[32];
    std::snprintf(created, sizeof created, "%020lld",
                  static_cast<long long>(nanos(r.spec().created()) + (1LL << 62)));
    switch (sort) {
    case proto::STATE:
        return std::to_string(r.spec().state()) + "\x1f" + created + "\x1f" + r.metadata().name();
    case proto::USER:
        return r.spec().user() + "\x1f" + created + "\x1f" + r.metadata().name();
    default:
        return std::string(created) + "\x1f" + r.metadata().name();
    }
}

}  // namespace

std::string newUuid() { return common::newUuid(); }

RequestStore::RequestStore(EventListener onEvent, Persister persist)
    : onEvent_(std::move(onEvent)), persist_(std::move(persist)) {}

void RequestStore::emitPut(const types::AccessRequestV3& r) {
    proto::Event ev;
    ev.set_type(proto::PUT);
    *ev.mutable_accessrequest() = r;
    if (onEvent_) {
        onEvent_(ev);
    }
}

void RequestStore::emitDelete(const std::string& id) {
    proto::Event ev;
    ev.set_type(proto::DELETE);
    auto* h = ev.mutable_resourceheader();
    h->set_kind(KindAccessRequest);
    h->set_version("v3");
    h->mutable_metadata()->set_name(id);
    h->mutable_metadata()->set_namespace_("default");
    if (onEvent_) {
        onEvent_(ev);
    }
}

teleportfake::FakeState RequestStore::snapshotLocked() const {
    teleportfake::FakeState st;
    for (const auto& [id, r] : requests_) {
        *st.add_requests() = r;
    }
    for (const auto& [id, pd] : pluginData_) {
        *st.add_plugin_data() = pd;
    }
    return st;
}

void RequestStore::persistLocked() {
    dirty_ = true;
    if (persist_) {
        persist_(snapshotLocked());
    }
}

absl::StatusOr<types::AccessRequestV3> RequestStore::create(const types::AccessRequestV3& in,
                                                            TimePoint now) {
    if (in.spec().user().empty()) {
        return absl::InvalidArgumentError("access request is missing a user");
    }
    if (in.spec().roles().empty() && in.spec().requestedresourceids().empty()) {
        return absl::InvalidArgumentError("access request must ask for roles or resources");
    }
    types::AccessRequestV3 r = in;
    std::lock_guard lock(mu_);
    std::string id = in.metadata().name();
    if (id.empty()) {
        id = newUuid();
    } else if (requests_.count(id)) {
        return absl::AlreadyExistsError("access request \"" + id + "\" already exists");
    }
    r.set_kind(KindAccessRequest);
    r.set_subkind("");
    r.set_version("v3");
    auto* md = r.mutable_metadata();
    md->set_name(id);
    md->set_namespace_("default");
    md->set_revision(std::to_string(++revision_));
    auto* spec = r.mutable_spec();
    spec->set_state(types::PENDING);
    spec->clear_reviews();
    spec->clear_resolvereason();
    toProtoTime(now, spec->mutable_created());

    auto requestedTtl = md->has_expires() ? fromProtoTime(md->expires()) : std::nullopt;
    auto accessExpiry = fromProtoTime(spec->expires());
    TimePoint requestExpiry = requestedTtl && *requestedTtl > now ? *requestedTtl
                                                                   : now + DefaultRequestTtl;
    TimePoint access = accessExpiry && *accessExpiry > now ? *accessExpiry : requestExpiry;
    if (access < requestExpiry) {
        access = requestExpiry;
    }
    toProtoTime(requestExpiry, md->mutable_expires());
    toProtoTime(access, spec->mutable_expires());
    if (!fromProtoTime(spec->maxduration())) {
        toProtoTime(access, spec->mutable_maxduration());
    }
    toProtoTime(access, spec->mutable_sessionttl());
    spec->mutable_resolveannotations();
    spec->mutable_systemannotations();
    if (spec->thresholds().empty()) {
        auto* t = spec->add_thresholds();
        t->set_name("default");
        t->set_approve(1);
        t->set_deny(1);
    }
    spec->clear_rolethresholdmapping();
    for (const auto& role : spec->roles()) {
        auto& sets = (*spec->mutable_rolethresholdmapping())[role];
        auto* set = sets.add_sets();
        for (int i = 0; i < spec->thresholds_size(); ++i) {
            set->add_indexes(static_cast<uint32_t>(i));
        }
    }
    requests_[id] = r;
    emitPut(r);
    persistLocked();
    return r;
}

void RequestStore::resolveByThresholds(types::AccessRequestV3& r) {
    auto* spec = r.mutable_spec();
    std::vector<uint32_t> approvals(static_cast<size_t>(spec->thresholds_size()), 0);
    std::vector<uint32_t> denials(approvals.size(), 0);
    for (const auto& rev : spec->reviews()) {
        for (uint32_t idx : rev.thresholdindexes()) {
            if (idx >= approvals.size()) {
                continue;
            }
            if (rev.proposedstate() == types::APPROVED) {
                ++approvals[idx];
            } else if (rev.proposedstate() == types::DENIED) {
                ++denials[idx];
            }
        }
    }
    bool denied = false;
    bool approved = !approvals.empty();
    for (size_t i = 0; i < approvals.size(); ++i) {
        const auto& t = spec->thresholds(static_cast<int>(i));
        uint32_t needApprove = std::max<uint32_t>(t.approve(), 1);
        uint32_t needDeny = std::max<uint32_t>(t.deny(), 1);
        if (denials[i] >= needDeny) {
            denied = true;
        }
        if (approvals[i] < needApprove) {
            approved = false;
        }
    }
    if (denied) {
        spec->set_state(types::DENIED);
    } else if (approved) {
        spec->set_state(types::APPROVED);
    }
}

absl::StatusOr<types::AccessRequestV3> RequestStore::submitReview(
    const types::AccessReviewSubmission& sub, TimePoint now) {
    std::lock_guard lock(mu_);
    auto it = requests_.find(sub.requestid());
    if (it == requests_.end()) {
        return absl::NotFoundError("access_request \"" + sub.requestid() + "\" doesn't exist");
    }
    types::AccessRequestV3 r = it->second;
    const auto& rev = sub.review();
    if (rev.author().empty()) {
        return absl::InvalidArgumentError("review is missing an author");
    }
    if (r.spec().state() != types::PENDING) {
        return absl::FailedPreconditionError(
            "the access request has already been " +
            types::RequestState_Name(r.spec().state()));
    }
    if (rev.author() == r.spec().user()) {
        return absl::PermissionDeniedError("a user cannot review their own access request");
    }
    for (const auto& existing : r.spec().reviews()) {
        if (existing.author() == rev.author()) {
            return absl::AlreadyExistsError("user \"" + rev.author() +
                                            "\" has already reviewed this request");
        }
    }
    auto proposed = rev.proposedstate();
    if (proposed != types::APPROVED && proposed != types::DENIED && proposed != types::PROMOTED) {
        return absl::InvalidArgumentError("a review must propose APPROVED, DENIED or PROMOTED");
    }
    if (proposed == types::PROMOTED && rev.accesslist().name().empty()) {
        return absl::InvalidArgumentError("a promotion must name the access list");
    }
    auto* added = r.mutable_spec()->add_reviews();
    *added = rev;
    toProtoTime(now, added->mutable_created());
    added->mutable_annotations();
    added->clear_thresholdindexes();
    for (int i = 0; i < r.spec().thresholds_size(); ++i) {
        added->add_thresholdindexes(static_cast<uint32_t>(i));
    }
    if (proposed == types::PROMOTED) {
        r.mutable_spec()->set_state(types::PROMOTED);
        *r.mutable_spec()->mutable_accesslist() = rev.accesslist();
    } else {
        resolveByThresholds(r);
    }
    if (r.spec().state() != types::PENDING) {
        r.mutable_spec()->set_resolvereason(rev.reason());
        // A resolved request lives until its access expiry.
        *r.mutable_metadata()->mutable_expires() = r.spec().expires();
    }
    r.mutable_metadata()->set_revision(std::to_string(++revision_));
    it->second = r;
    emitPut(r);
    persistLocked();
    return r;
}

absl::Status RequestStore::setState(const proto::RequestStateSetter& setter, TimePoint) {
    std::lock_guard lock(mu_);
    auto it = requests_.find(setter.id());
    if (it == requests_.end()) {
        return absl::NotFoundError("access_request \"" + setter.id() + "\" doesn't exist");
    }
    if (!isResolved(setter.state())) {
        return absl::InvalidArgumentError("cannot set an access request to " +
                                          types::RequestState_Name(setter.state()));
    }
    types::AccessRequestV3 r = it->second;
    if (r.spec().state() != types::PENDING) {
        return absl::FailedPreconditionError(
            "the access request has already been " + types::RequestState_Name(r.spec().state()));
    }
    r.mutable_spec()->set_state(setter.state());
    r.mutable_spec()->set_resolvereason(setter.reason());
    *r.mutable_spec()->mutable_resolveannotations() = setter.annotations();
    if (setter.state() == types::PROMOTED) {
        // RequestStateSetter has no access-list field; the fake reads it from an annotation.
        auto ann = setter.annotations().values().find("access_list");
        if (ann != setter.annotations().values().end() && !ann->second.values().empty()) {
            r.mutable_spec()->mutable_accesslist()->set_name(ann->second.values(0));
            r.mutable_spec()->mutable_accesslist()->set_title(ann->second.values(0));
        }
    }
    if (!setter.roles().empty() && setter.state() == types::APPROVED) {
        r.mutable_spec()->mutable_roles()->CopyFrom(setter.roles());
    }
    *r.mutable_metadata()->mutable_expires() = r.spec().expires();
    r.mutable_metadata()->set_revision(std::to_string(++revision_));
    it->second = r;
    emitPut(r);
    persistLocked();
    return absl::OkStatus();
}

absl::Status RequestStore::remove(const std::string& id) {
    std::lock_guard lock(mu_);
    if (requests_.erase(id) == 0) {
        return absl::NotFoundError("access_request \"" + id + "\" doesn't exist");
    }
    emitDelete(id);
    persistLocked();
    return absl::OkStatus();
}

std::vector<types::AccessRequestV3> RequestStore::list(
    const types::AccessRequestFilter& filter) const {
    std::lock_guard lock(mu_);
    std::vector<types::AccessRequestV3> out;
    for (const auto& [id, r] : requests_) {
        if (matches(r, filter)) {
            out.push_back(r);
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return sortKey(a, proto::CREATED) < sortKey(b, proto::CREATED);
    });
    return out;
}

absl::StatusOr<proto::ListAccessRequestsResponse> RequestStore::listPage(
    const proto::ListAccessRequestsRequest& req) const {
    if (req.limit() < 0) {
        return absl::InvalidArgumentError("limit must not be negative");
    }
    std::vector<std::pair<std::string, const types::AccessRequestV3*>> keyed;
    std::lock_guard lock(mu_);
    for (const auto& [id, r] : requests_) {
        if (matches(r, req.filter())) {
            keyed.emplace_back(sortKey(r, req.sort()), &r);
        }
    }
    std::sort(keyed.begin(), keyed.end(),
              [&](const auto& a, const auto& b) { return req.descending() ? a.first > b.first
                                                                          : a.first < b.first; });
    proto::ListAccessRequestsResponse resp;
    // Teleport's access-request cache serves at most 16,000 per page, whatever the limit
    // (maxPageSize in lib/services/access_request_cache.go).
    constexpr size_t MaxPageSize = 16000;
    size_t limit = req.limit() == 0 ? MaxPageSize : std::min<size_t>(static_cast<size_t>(req.limit()), MaxPageSize);
    for (const auto& [key, r] : keyed) {
        if (!req.startkey().empty() &&
            (req.descending() ? key > req.startkey() : key < req.startkey())) {
            continue;
        }
        if (static_cast<size_t>(resp.accessrequests_size()) == limit) {
            resp.set_nextkey(key);
            break;
        }
        *resp.add_accessrequests() = *r;
    }
    return resp;
}

std::vector<types::PluginDataV3> RequestStore::getPluginData(const types::PluginDataFilter& f,
                                                             TimePoint now) const {
    std::lock_guard lock(mu_);
    std::vector<types::PluginDataV3> out;
    auto from = pluginData_.begin();
    auto to = pluginData_.end();
    if (!f.resource().empty()) {
        from = pluginData_.find(f.resource());
        to = from == pluginData_.end() ? from : std::next(from);
    }
    for (auto it = from; it != to; ++it) {
        const auto& [id, pd] = *it;
        if (!f.kind().empty() && pd.subkind() != f.kind()) {
            continue;
        }
        if (!f.resource().empty() && id != f.resource()) {
            continue;
        }
        if (!f.plugin().empty() && !pd.spec().entries().count(f.plugin())) {
            continue;
        }
        auto exp = fromProtoTime(pd.metadata().expires());
        if (exp && *exp <= now) {
            continue;
        }
        out.push_back(pd);
    }
    return out;
}

absl::Status RequestStore::updatePluginData(const types::PluginDataUpdateParams& p,
                                            TimePoint now) {
    if (p.kind() != KindAccessRequest) {
        return absl::InvalidArgumentError("unsupported resource kind \"" + p.kind() + "\"");
    }
    if (p.resource().empty() || p.plugin().empty()) {
        return absl::InvalidArgumentError("plugin data update needs a resource and a plugin");
    }
    std::lock_guard lock(mu_);
    if (failUpdates_ > 0) {
        --failUpdates_;
        ++conflicts_;
        return absl::FailedPreconditionError("too many concurrent writes (injected by the fake)");
    }
    types::PluginDataV3 pd;
    auto it = pluginData_.find(p.resource());
    if (it != pluginData_.end()) {
        auto exp = fromProtoTime(it->second.metadata().expires());
        if (exp && *exp <= now) {
            pluginData_.erase(it);
            it = pluginData_.end();
        }
    }
    if (it == pluginData_.end()) {
        auto req = requests_.find(p.resource());
        if (req == requests_.end()) {
            return absl::NotFoundError("access_request \"" + p.resource() + "\" doesn't exist");
        }
        pd.set_kind("plugin_data");
        pd.set_subkind(KindAccessRequest);
        pd.set_version("v3");
        pd.mutable_metadata()->set_name(p.resource());
        pd.mutable_metadata()->set_namespace_("default");
        auto access = fromProtoTime(req->second.spec().expires());
        toProtoTime(access.value_or(now) + PluginDataGrace, pd.mutable_metadata()->mutable_expires());
    } else {
        pd = it->second;
    }
    auto& entries = *pd.mutable_spec()->mutable_entries();
    auto entry = entries.find(p.plugin());
    if (!p.expect().empty()) {
        for (const auto& [key, want] : p.expect()) {
            std::string have;
            if (entry != entries.end()) {
                auto v = entry->second.data().find(key);
                if (v != entry->second.data().end()) {
                    have = v->second;
                }
            }
            if (have != want) {
                ++conflicts_;
                return absl::FailedPreconditionError("expectations not met for field \"" + key +
                                                     "\"");
            }
        }
    }
    auto& data = *entries[p.plugin()].mutable_data();
    for (const auto& [key, value] : p.set()) {
        if (value.empty()) {
            data.erase(key);
        } else {
            data[key] = value;
        }
    }
    if (data.empty()) {
        entries.erase(p.plugin());
    }
    if (pd.ByteSizeLong() > MaxPluginDataBytes) {
        return absl::InvalidArgumentError("plugin data size limit exceeded");
    }
    pd.mutable_metadata()->set_revision(std::to_string(++revision_));
    pluginData_[p.resource()] = pd;
    persistLocked();
    return absl::OkStatus();
}

int RequestStore::expire(TimePoint now) {
    std::lock_guard lock(mu_);
    std::vector<std::string> gone;
    for (const auto& [id, r] : requests_) {
        auto when = r.spec().state() == types::PENDING ? fromProtoTime(r.metadata().expires())
                                                        : fromProtoTime(r.spec().expires());
        if (when && *when <= now) {
            gone.push_back(id);
        }
    }
    bool changed = !gone.empty();
    for (const auto& id : gone) {
        requests_.erase(id);
        emitDelete(id);
    }
    for (auto it = pluginData_.begin(); it != pluginData_.end();) {
        auto exp = fromProtoTime(it->second.metadata().expires());
        if (exp && *exp <= now) {
            it = pluginData_.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    if (changed) {
        persistLocked();
    }
    return static_cast<int>(gone.size());
}

absl::Status RequestStore::expireNow(const std::string& id) {
    std::lock_guard lock(mu_);
    if (!requests_.count(id)) {
        return absl::NotFoundError("access_request \"" + id + "\" doesn't exist");
    }
    requests_.erase(id);
    emitDelete(id);
    persistLocked();
    return absl::OkStatus();
}

void RequestStore::failNextUpdates(uint32_t n) {
    std::lock_guard lock(mu_);
    failUpdates_ = n;
}

void RequestStore::runLocked(const std::function<void()>& f) const {
    std::lock_guard lock(mu_);
    f();
}

teleportfake::FakeState RequestStore::snapshot() const {
    std::lock_guard lock(mu_);
    return snapshotLocked();
}

void RequestStore::restore(const teleportfake::FakeState& state) {
    std::lock_guard lock(mu_);
    requests_.clear();
    pluginData_.clear();
    for (const auto& r : state.requests()) {
        requests_[r.metadata().name()] = r;
        revision_ = std::max<uint64_t>(revision_, std::strtoull(r.metadata().revision().c_str(),
                                                                nullptr, 10));
    }
    for (const auto& pd : state.plugin_data()) {
        pluginData_[pd.metadata().name()] = pd;
        revision_ = std::max<uint64_t>(revision_, std::strtoull(pd.metadata().revision().c_str(),
                                                                nullptr, 10));
    }
}

size_t RequestStore::requestCount() const {
    std::lock_guard lock(mu_);
    return requests_.size();
}

uint64_t RequestStore::conflicts() const {
    std::lock_guard lock(mu_);
    return conflicts_;
}

}  // namespace tmsteams::fakeauth
