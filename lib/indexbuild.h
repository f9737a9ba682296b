// index-build's engine: reads copy-table result lines, and as soon as every part
// of a table has arrived builds all of its indexes at once on up to N target
// connections (single-threaded: libpq's asynchronous API and poll(2) over stdin
// and the sockets, so reading stdin never waits for a build), adds the PRIMARY
// KEY / UNIQUE constraints USING INDEX, runs ANALYZE, and writes the done stream.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "workitem.h"

namespace fdwcopy {

// Collects the parts of split tables: a table is complete when every part
// number 1..parts has arrived once.
class PartTracker {
public:
    enum class Added {
        Incomplete,  // recorded, more parts to come
        Complete,    // this was the last missing part: the table is ready
        Duplicate,   // this part had arrived already (ignored)
        Mismatch,    // parts differs from the first part's (ignored)
    };
    // Records a "table" item (other kinds must not be passed).
    Added add(const WorkItem& w);
    // Tables with parts still missing: "schema.name (K of N parts)", in oid order.
    std::vector<std::string> incomplete() const;

private:
    struct Parts {
        std::string label;
        int parts = 0;
        std::vector<bool> seen;
        int count = 0;
    };
    std::map<uint32_t, Parts> tables_;
};

struct IndexBuildOptions {
    std::string source, target;  // conninfo strings (already resolved)
    std::string snapshot;        // "" = a fresh snapshot of the source
    int jobs = 1;                // target connections, builds at once
    bool analyze = true;
    int64_t maintenance_work_mem = int64_t(256) << 20;  // bytes, shared by the jobs
    int parallel_workers = 0;    // max_parallel_maintenance_workers per session
    int tail_workers = 0;        // ... for the last build, once every table is in (if more)
    int in_fd = 0;               // result lines
    int out_fd = 1;              // done stream
};

// Runs index-build. Returns 0 when every object was created, 1 when any build,
// ANALYZE or input line failed (each reported on stderr as it happens; the
// others are still built). Throws Error when it cannot start (connection,
// snapshot, catalog query).
int run_index_build(const IndexBuildOptions& opts);

}  // namespace fdwcopy
