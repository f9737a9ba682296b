// Extension configuration tables (see extconfig.h).
#include "extconfig.h"

namespace fdwcopy {

std::string extconfig_predicate(const std::string& rel) {
    return "EXISTS (SELECT FROM pg_catalog.pg_extension fdwcopy_e WHERE " + rel +
           ".oid OPERATOR(pg_catalog.=) ANY (fdwcopy_e.extconfig))";
}

void read_extension_condition(Connection& conn, WorkItem& w) {
    Result r = conn.exec_params(
        "SELECT e.extname, e.extcondition[pg_catalog.array_position(e.extconfig, c.oid)] "
        "FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace "
        "JOIN pg_catalog.pg_extension e ON c.oid OPERATOR(pg_catalog.=) ANY (e.extconfig) "
        "WHERE n.nspname OPERATOR(pg_catalog.=) $1 AND c.relname OPERATOR(pg_catalog.=) $2",
        {w.schema, w.name});
    if (PQntuples(r.get()) != 1)
        throw Error(conn.role() + ": \"" + w.schema + "." + w.name +
                    "\" is not a configuration table of an extension (pg_extension.extconfig)");
    w.condition = PQgetisnull(r.get(), 0, 1) ? "" : PQgetvalue(r.get(), 0, 1);
    w.condition_read = true;
}

}  // namespace fdwcopy
