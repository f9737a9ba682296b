// index-build: builds each table's indexes and PK/UNIQUE constraints on the
// target as soon as copy-table reports the table copied; writes the done stream.
#include <thread>

#include "cli.h"
#include "conn.h"
#include "exitcodes.h"
#include "indexbuild.h"
#include "indexcatalog.h"
#include "log.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    IndexBuildOptions o;
    std::string mem = "256MB";
    int jobs = static_cast<int>(std::thread::hardware_concurrency());
    if (jobs < 1) jobs = 1;
    Cli cli("index-build",
            "build the indexes and PRIMARY KEY/UNIQUE constraints of copied tables",
            "index-build [OPTION]... < RESULT-LINES > DONE-LINES");
    cli.options.add_options()
        ("snapshot", po::value<std::string>(&o.snapshot)->value_name("ID"),
         "read the index definitions in this exported snapshot (snapshot-hold)")
        ("jobs,j", po::value<int>(&jobs)->value_name("N"),
         "target connections, i.e. index builds at once (default: number of CPUs)")
        ("no-analyze", "do not ANALYZE each table after its indexes")
        ("maintenance-work-mem", po::value<std::string>(&mem)->value_name("SIZE"),
         "maintenance_work_mem shared by the N sessions, e.g. 1GB (default: 256MB); a session never gets less than the target's own setting")
        ("parallel-workers", po::value<int>(&o.parallel_workers)->value_name("N"),
         "max_parallel_maintenance_workers per session (default: 0)")
        ("tail-workers", po::value<int>(&o.tail_workers)->value_name("N"),
         "max_parallel_maintenance_workers of the last index build, started once every table is in (default: 0)");
    add_source_option(cli, &o.source);
    add_target_option(cli, &o.target);
    cli.epilog =
        "Reads copy-table's result lines on standard input; once all parts of a table are in,\n"
        "creates all its indexes at once (PRIMARY KEY and UNIQUE constraints as CREATE UNIQUE\n"
        "INDEX + ADD CONSTRAINT ... USING INDEX), then ANALYZE. Writes one done line per index\n"
        "or constraint created, for postlist-filter --done. Exit status: 0 all built, 1 a\n"
        "failure (the other objects are still built), 2 usage error. See index-build(1).";
    if (int rc = cli.parse(argc, argv); rc >= 0) return rc;
    if (int rc = cli.check_range("-j/--jobs", jobs, 1, 1024); rc >= 0) return rc;
    if (o.parallel_workers < 0 || o.parallel_workers > 1024)
        return cli.usage_error("--parallel-workers must be between 0 and 1024");
    if (o.tail_workers < 0 || o.tail_workers > 1024)
        return cli.usage_error("--tail-workers must be between 0 and 1024");
    try {
        o.maintenance_work_mem = parse_memory_size(mem);
    } catch (const Error& e) {
        return cli.usage_error(e.what());
    }
    o.jobs = jobs;
    o.analyze = cli.vm.count("no-analyze") == 0;
    o.source = resolve_conninfo(o.source, "FDWCOPY_SOURCE");
    o.target = resolve_conninfo(o.target, "FDWCOPY_TARGET");
    try {
        return run_index_build(o);
    } catch (const Error& e) {
        return report(e);
    }
}
