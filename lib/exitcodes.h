// Exit codes shared by every fdwcopy tool; a tool's man page documents any
// code beyond these (EXIT STATUS), e.g. fdw-rewrite's 3 for unmapped servers.
#pragma once

namespace fdwcopy {

enum ExitCode : int {
    EXIT_OK = 0,        // success
    EXIT_FAILURE_ = 1,  // runtime failure (connection, SQL error, bad input data)
    EXIT_USAGE = 2,     // bad command line: unknown option, missing argument
    EXIT_UNMAPPED = 3,  // fdw-rewrite / fdwcopy: foreign server(s) not in the map
};

}  // namespace fdwcopy
