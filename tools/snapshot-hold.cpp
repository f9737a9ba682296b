// snapshot-hold: export a snapshot of the source database and keep it alive
// until stdin closes or a signal arrives. See man/snapshot-hold.1.
#include <csignal>
#include <memory>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "snapshot.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::string source, slot;
    Cli cli("snapshot-hold",
            "export a snapshot of the source database and hold it open",
            "snapshot-hold [OPTION]... [< CONTROL]");
    cli.options.add_options()(
        "slot", po::value<std::string>(&slot)->value_name("NAME"),
        "export the snapshot of a new logical replication slot NAME (pgoutput) on a\n"
        "replication connection; a second line gives the slot's consistent LSN")(
        "temporary",
        "with --slot: a temporary slot, dropped by the server when snapshot-hold's\n"
        "session ends (pg_copy_logical_replication_slot keeps it: same start LSN)");
    add_source_option(cli, &source);
    cli.epilog =
        "Prints the snapshot id (for pg_dump --snapshot, SET TRANSACTION SNAPSHOT and the\n"
        "--snapshot option of table-list, copy-table and index-build) on one line, closes\n"
        "stdout, then holds the REPEATABLE READ transaction until stdin reaches end of\n"
        "file or SIGTERM/SIGINT/SIGHUP arrives, and exits 0. If the connection is lost it\n"
        "exits 1. With --slot, the slot stays when snapshot-hold exits (drop it with\n"
        "pg_drop_replication_slot('NAME')) unless --temporary; the source needs\n"
        "wal_level = logical.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    if (cli.has("slot") && !valid_slot_name(slot))
        return cli.usage_error("invalid replication slot name \"" + slot +
                               "\": use 1 to 63 lower case letters, digits and underscores");
    if (cli.has("temporary") && !cli.has("slot")) return cli.usage_error("--temporary needs --slot");
    signal(SIGPIPE, SIG_IGN);
    close_inherited_fds();
    try {
        std::string conninfo = resolve_conninfo(source, "FDWCOPY_SOURCE"), out;
        std::unique_ptr<Connection> holder;
        if (cli.has("slot")) {
            // A walsender session for the database: its exported snapshot
            // lives until the session runs another command or ends.
            holder = std::make_unique<Connection>(conninfo, "source",
                                                  std::vector<std::pair<std::string, std::string>>{
                                                      {"replication", "database"}});
            SlotSnapshot s = create_slot_snapshot(*holder, slot, cli.has("temporary"));
            out = s.snapshot + "\n" + s.consistent_point + "\n";
        } else {
            holder = std::make_unique<Connection>(conninfo, "source");
            setup_source_session(*holder);
            out = export_snapshot(*holder) + "\n";
        }
        Connection& conn = *holder;
        if (!write_all(1, out)) throw Error("could not write the snapshot id: " + std::string(strerror(errno)));
        // Close stdout so that readers of it (SNAP=$(...), a pipe) see end of
        // file while the snapshot stays held.
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 1), close(devnull);
        HoldEnd end = hold_snapshot(conn, 0);
        log_verbose(end == HoldEnd::Signalled ? "signalled, releasing the snapshot"
                                              : "stdin closed, releasing the snapshot");
        if (!cli.has("slot")) PQclear(PQexec(conn.get(), "COMMIT"));
        return EXIT_OK;
    } catch (const Error& e) {
        return report(e);
    }
}
