// A small Prometheus metrics registry.
#include "common/metrics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace tmsteams::common {

namespace {

std::string escapeLabel(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string labelString(const Labels& labels, const std::string& extra = "") {
    std::string out;
    for (const auto& [k, v] : labels) {
        out += (out.empty() ? "" : ",") + k + "=\"" + escapeLabel(v) + "\"";
    }
    if (!extra.empty()) {
        out += (out.empty() ? "" : ",") + extra;
    }
    return out.empty() ? "" : "{" + out + "}";
}

std::string number(double v) {
    if (std::isinf(v)) {
        return v > 0 ? "+Inf" : "-Inf";
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        buckets_[i] = 0;
    }
}

void Histogram::observe(double v) {
    size_t i = 0;
    while (i < bounds_.size() && v > bounds_[i]) {
        ++i;
    }
    buckets_[i].fetch_add(1, std::memory_order_relaxed);
    count_.fetch_add(1, std::memory_order_relaxed);
    sumMicros_.fetch_add(static_cast<uint64_t>(std::llround(std::max(v, 0.0) * 1e6)), std::memory_order_relaxed);
}

void Histogram::snapshot(std::vector<uint64_t>& cumulative, double& sum, uint64_t& count) const {
    cumulative.assign(bounds_.size() + 1, 0);
    uint64_t running = 0;
    for (size_t i = 0; i <= bounds_.size(); ++i) {
        running += buckets_[i].load(std::memory_order_relaxed);
        cumulative[i] = running;
    }
    count = running;
    sum = sumMicros_.load(std::memory_order_relaxed) / 1e6;
}

Metrics& Metrics::instance() {
    static Metrics m;
    return m;
}

std::vector<double> Metrics::defaultLatencyBounds() {
    return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

Counter& Metrics::counter(const std::string& name, const std::string& help, const Labels& labels) {
    std::lock_guard lock(mu_);
    auto& f = families_[name];
    f.help = help;
    f.type = "counter";
    auto& c = f.counters[labelString(labels)];
    if (!c) {
        c = std::make_unique<Counter>();
    }
    return *c;
}

Histogram& Metrics::histogram(const std::string& name, const std::string& help, const Labels& labels,
                              std::vector<double> bounds) {
    std::lock_guard lock(mu_);
    auto& f = families_[name];
    f.help = help;
    f.type = "histogram";
    auto& h = f.histograms[labelString(labels)];
    if (!h) {
        h = std::make_unique<Histogram>(std::move(bounds));
    }
    return *h;
}

void Metrics::gauge(const std::string& name, const std::string& help, std::function<double()> read,
                    const Labels& labels, const std::string& type) {
    std::lock_guard lock(mu_);
    auto& f = families_[name];
    f.help = help;
    f.type = type;
    f.gauges[labelString(labels)] = std::move(read);
}

std::string Metrics::render() const {
    // Gauges may read state guarded elsewhere: copy the registry under the lock, then read the
    // values without it, so a slow gauge never holds up an event registering a counter.
    struct Snapshot {
        std::string name, help, type;
        std::vector<std::pair<std::string, const Counter*>> counters;
        std::vector<std::pair<std::string, std::function<double()>>> gauges;
        std::vector<std::pair<std::string, const Histogram*>> histograms;
    };
    std::vector<Snapshot> snapshot;
    {
        std::lock_guard lock(mu_);
        snapshot.reserve(families_.size());
        for (const auto& [name, f] : families_) {
            Snapshot s{name, f.help, f.type, {}, {}, {}};
            for (const auto& [labels, c] : f.counters) {
                s.counters.emplace_back(labels, c.get());  // never removed: the pointer stays valid
            }
            for (const auto& [labels, g] : f.gauges) {
                s.gauges.emplace_back(labels, g);
            }
            for (const auto& [labels, h] : f.histograms) {
                s.histograms.emplace_back(labels, h.get());
            }
            snapshot.push_back(std::move(s));
        }
    }
    std::ostringstream out;
    for (const auto& f : snapshot) {
        const std::string& name = f.name;
        out << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
        for (const auto& [labels, c] : f.counters) {
            out << name << labels << " " << c->value() << "\n";
        }
        for (const auto& [labels, g] : f.gauges) {
            out << name << labels << " " << number(g()) << "\n";
        }
        for (const auto& [labels, h] : f.histograms) {
            std::vector<uint64_t> cumulative;
            double sum = 0;
            uint64_t count = 0;
            h->snapshot(cumulative, sum, count);
            // Re-open the label set to add "le".
            std::string base = labels.empty() ? "" : labels.substr(1, labels.size() - 2);
            for (size_t i = 0; i < cumulative.size(); ++i) {
                std::string le = i < h->bounds().size() ? number(h->bounds()[i]) : "+Inf";
                out << name << "_bucket{" << base << (base.empty() ? "" : ",") << "le=\"" << le << "\"} "
                    << cumulative[i] << "\n";
            }
            out << name << "_sum" << labels << " " << number(sum) << "\n";
            out << name << "_count" << labels << " " << count << "\n";
        }
    }
    return out.str();
}

}  // namespace tmsteams::common
