// dump-pack's work: count the rows (lines) and bytes of a data file of a
// directory-format dump while deflating it into FILE.gz in the same pass
// (zlib, gzip format, as pg_dump -Fd writes its own), so that fdwcopy dump
// reads each file once and never decompresses to count.
#pragma once
#include <cstdint>
#include <string>

namespace fdwcopy {

struct PackResult {
    std::string path;    // the file as it is now: FILE.gz, or FILE at level 0
    int64_t lines = 0;   // newline characters read
    int64_t bytes = 0;   // bytes read (uncompressed)
};

// Reads path in blocks; with level 1-9 writes its gzip-format deflate to
// path.gz.part, renames it to path.gz and removes path (so a failure leaves
// path whole and at most a .part file); with level 0 only counts. Throws Error
// naming the file on any read, write or zlib failure.
PackResult pack_file(const std::string& path, int level);

}  // namespace fdwcopy
