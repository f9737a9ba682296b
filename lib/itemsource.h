// The work lines a data-path tool takes (copy-table, table-checksum): its
// arguments, or standard input one line at a time, handed to worker threads.
#pragma once
#include <atomic>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace fdwcopy {

class ItemSource {
public:
    // items: the lines given as arguments; empty = read standard input.
    explicit ItemSource(const std::vector<std::string>& items);
    ~ItemSource();
    ItemSource(const ItemSource&) = delete;
    ItemSource& operator=(const ItemSource&) = delete;

    // The next line (without its newline) into *out; false when there is none
    // left or after stop(). From stdin, empty lines and lines starting with '#'
    // are skipped. Safe to call from several threads.
    bool next(std::string* out);
    // No more lines from now on (the lines already taken go on).
    void stop() { stop_.store(true); }

private:
    const std::vector<std::string>& items_;
    std::mutex mu_;
    std::atomic<bool> stop_{false};
    size_t next_ = 0;
    bool eof_ = false;
    char* line_ = nullptr;
    size_t cap_ = 0;
};

struct Error;

// The state a data-path tool's workers share over one run of work lines
// (copy-table, copy-table --via-fdw, table-checksum): the lines
// (ItemSource), one error report at a time on stderr, the run's failure and
// stop, and one output line at a time on stdout.
class WorkLineRun {
public:
    explicit WorkLineRun(const std::vector<std::string>& items) : lines_(items) {}
    // The next work line, as ItemSource::next.
    bool next(std::string* line) { return lines_.next(line); }
    // Reports e (log.h report: its error, detail and hint lines kept
    // together when two workers fail at once) and marks the run failed; with
    // stop, no further line is taken (the lines already taken go on).
    void fail(const Error& e, bool stop);
    // Writes line and a newline on stdout in one write, one worker at a
    // time; false (errno set) when it cannot.
    bool write_line(const std::string& line);
    // The tool's exit status: 1 after any fail(), else 0.
    int status() const { return failed_.load() ? 1 : 0; }

private:
    ItemSource lines_;
    std::mutex out_mu_, err_mu_;
    std::atomic<bool> failed_{false};
};

// Runs work(i) for i = 0 .. jobs-1, each on its own thread (in the calling
// thread when jobs <= 1), and returns when all have returned.
void run_workers(int jobs, const std::function<void(int)>& work);

}  // namespace fdwcopy
