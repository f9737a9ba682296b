// Source and target sessions of the data path: exporting a snapshot and holding
// it open (snapshot-hold), joining it (table-list, copy-table, index-build),
// and the session settings that every data-path connection uses.
// PostgreSQL docs: "Snapshot Synchronization Functions" (pg_export_snapshot),
// SET TRANSACTION (SNAPSHOT), and pg_dump's setup_connection for the settings.
#pragma once
#include <string>

#include "conn.h"

namespace fdwcopy {

// Session settings for reading a source, as pg_dump sets them: no statement,
// lock or idle-in-transaction timeouts (a held snapshot is idle by design),
// DateStyle ISO, IntervalStyle postgres, extra_float_digits 3, and a
// search_path of only pg_catalog (queries qualify every name). Also routes the
// server's notices to log_verbose / log_warning instead of libpq's raw stderr.
// Throws Error on a failed SET (message prefixed with the connection's role).
void setup_source_session(Connection& conn);

// Session settings for loading a target: the same as setup_source_session plus
// synchronous_commit off for the session (the many small statements of a load
// need not wait for WAL flushes); the COMMIT whose result is reported goes
// through commit_durable, so that what a result line says survives a crash.
// client_encoding is set to encoding when it is non-empty (use the source's
// server_encoding so that text and binary COPY data pass through unconverted).
void setup_target_session(Connection& conn, const std::string& encoding = {});

// SQL that sets synchronous_commit to a durable value: the server's own
// (pg_settings.reset_val: the configuration file's, the role's or the
// database's) unless that is off, then on. Every value but off waits for the
// commit record to be flushed to the local WAL (PostgreSQL docs, "Asynchronous
// Commit", synchronous_commit), so a commit it covers survives a server crash.
// local: for the current transaction only (SET LOCAL); else for the session.
std::string durable_commit_setting_sql(bool local);

// Commits conn's open transaction durably (durable_commit_setting_sql(true),
// then COMMIT, in one round trip): when it returns, the transaction survives a
// crash of the server. Throws Error("<role>: <libpq message>") on failure.
void commit_durable(Connection& conn);

// Begins a REPEATABLE READ, READ ONLY transaction (as pg_dump does) and returns
// the id of its exported snapshot, e.g. "00000003-0000001B-1".
// Throws Error("source: <libpq message>") on failure.
std::string export_snapshot(Connection& conn);

// A logical replication slot and the snapshot it exported.
struct SlotSnapshot {
    std::string snapshot;          // e.g. "00000003-0000001B-1"
    std::string consistent_point;  // the slot's start LSN, e.g. "0/1A2B3C8"
};

// True when name is a valid replication slot name (PostgreSQL's
// ReplicationSlotValidateName: 1..63 of a-z, 0-9 and _).
bool valid_slot_name(const std::string& name);

// On conn, a walsender session (replication=database), runs
// CREATE_REPLICATION_SLOT name [TEMPORARY] LOGICAL pgoutput (SNAPSHOT 'export')
// (PostgreSQL docs, "Streaming Replication Protocol"): a logical slot whose
// changes start exactly after the exported snapshot; permanent, or with
// temporary, dropped by the server when conn ends (however it ends) or on
// error. The snapshot stays valid while conn runs no other command and stays
// open. Throws Error("source: could not create replication slot "NAME": <message>").
SlotSnapshot create_slot_snapshot(Connection& conn, const std::string& name, bool temporary = false);

// Begins a REPEATABLE READ, READ ONLY transaction; with a non-empty snapshot,
// imports it (SET TRANSACTION SNAPSHOT) so this session sees exactly what the
// exporting transaction sees. Throws Error naming the snapshot if it is not
// valid (any more): "could not use snapshot \"ID\": <libpq message>".
void begin_snapshot_transaction(Connection& conn, const std::string& snapshot);

// Closes every file descriptor above 2 that the process inherited. A parent
// that opened the control FIFO read-write (exec {fd}<>fifo) and forgot to
// close that descriptor for its child would otherwise leave snapshot-hold
// holding a writer of its own stdin, so end of file would never come.
void close_inherited_fds();

// How hold_snapshot ended.
enum class HoldEnd { InputClosed, Signalled };

// Keeps conn's transaction open until input_fd reaches end of file (whatever
// is read is discarded; an invalid or hung-up descriptor counts as end of file)
// or the process gets SIGTERM, SIGINT or SIGHUP. Polls input_fd and the libpq
// socket together, so a dead connection is noticed at once: then throws
// Error("connection to <role> lost: <libpq or server message>").
// Installs its own handlers for the three signals.
HoldEnd hold_snapshot(Connection& conn, int input_fd);

}  // namespace fdwcopy
