// Work lines from arguments or stdin, shared by worker threads (see itemsource.h).
#include "itemsource.h"

#include "log.h"

#include <cstdio>
#include <cstdlib>
#include <thread>

namespace fdwcopy {

ItemSource::ItemSource(const std::vector<std::string>& items) : items_(items) {}

ItemSource::~ItemSource() { free(line_); }

bool ItemSource::next(std::string* out) {
    std::lock_guard<std::mutex> lk(mu_);
    while (!stop_.load()) {
        if (!items_.empty()) {
            if (next_ >= items_.size()) return false;
            *out = items_[next_++];
            return true;
        }
        if (eof_) return false;
        ssize_t len = getline(&line_, &cap_, stdin);
        if (len < 0) {
            eof_ = true;
            return false;
        }
        std::string l(line_, static_cast<size_t>(len));
        if (!l.empty() && l.back() == '\n') l.pop_back();
        if (l.empty() || l[0] == '#') continue;
        *out = std::move(l);
        return true;
    }
    return false;
}

void WorkLineRun::fail(const Error& e, bool stop) {
    {
        std::lock_guard<std::mutex> lk(err_mu_);
        report(e);
    }
    failed_.store(true);
    if (stop) lines_.stop();
}

bool WorkLineRun::write_line(const std::string& line) {
    std::lock_guard<std::mutex> lk(out_mu_);
    return write_all(1, line + "\n");
}

void run_workers(int jobs, const std::function<void(int)>& work) {
    if (jobs <= 1) {
        work(0);
        return;
    }
    std::vector<std::thread> pool;
    for (int i = 0; i < jobs; ++i) pool.emplace_back(work, i);
    for (auto& t : pool) t.join();
}

}  // namespace fdwcopy
