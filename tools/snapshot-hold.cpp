// snapshot-hold: export a snapshot of the source database and keep it alive
// until stdin closes or a signal arrives. See man/snapshot-hold.1.
#include <csignal>
#include <fcntl.h>
#include <unistd.h>

#include "cli.h"
#include "conn.h"
#include "exitcodes.h"
#include "log.h"
#include "snapshot.h"

using namespace fdwcopy;

int main(int argc, char** argv) {
    std::string source;
    Cli cli("snapshot-hold",
            "export a snapshot of the source database and hold it open",
            "snapshot-hold [OPTION]... [< CONTROL]");
    add_source_option(cli, &source);
    cli.epilog =
        "Prints the snapshot id (for pg_dump --snapshot, SET TRANSACTION SNAPSHOT and the\n"
        "--snapshot option of table-list, copy-table and index-build) on one line, closes\n"
        "stdout, then holds the REPEATABLE READ transaction until stdin reaches end of\n"
        "file or SIGTERM/SIGINT/SIGHUP arrives, and exits 0. If the connection is lost it\n"
        "exits 1.\n";
    int rc = cli.parse(argc, argv);
    if (rc >= 0) return rc;
    signal(SIGPIPE, SIG_IGN);
    close_inherited_fds();
    try {
        Connection conn(resolve_conninfo(source, "FDWCOPY_SOURCE"), "source");
        setup_source_session(conn);
        std::string id = export_snapshot(conn);
        if (!write_all(1, id + "\n")) throw Error("could not write the snapshot id: " + std::string(strerror(errno)));
        // Close stdout so that readers of it (SNAP=$(...), a pipe) see end of
        // file while the snapshot stays held.
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, 1), close(devnull);
        HoldEnd end = hold_snapshot(conn, 0);
        log_verbose(end == HoldEnd::Signalled ? "signalled, releasing the snapshot"
                                              : "stdin closed, releasing the snapshot");
        PQclear(PQexec(conn.get(), "COMMIT"));
        return EXIT_OK;
    } catch (const Error& e) {
        return report(e);
    }
}
