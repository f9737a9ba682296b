// dump-pack's work: count the rows (lines) and bytes of a data file of a
// directory-format dump while deflating it into FILE.gz in the same pass
// (zlib, gzip format, as pg_dump -Fd writes its own), and take the SHA-256 of
// the file it leaves (the deflate as it is written, or the file as it is read
// at level 0), so that fdwcopy dump reads each file once, never decompresses
// to count and never reads a file back for its MANIFEST checksum.
#pragma once
#include <cstdint>
#include <string>

namespace fdwcopy {

struct PackResult {
    std::string path;    // the file as it is now: FILE.gz, or FILE at level 0
    int64_t lines = 0;   // newline characters read
    int64_t bytes = 0;   // bytes read (uncompressed)
    std::string sha256;  // of the file as it is now, 64 lowercase hex digits
    int64_t size = 0;    // of the file as it is now (the .gz written, or bytes)
};

// Reads path in blocks; with level 1-9 writes its gzip-format deflate to
// path.gz.part, renames it to path.gz and removes path (so a failure leaves
// path whole and at most a .part file); with level 0 only counts (and hashes).
// The SHA-256 (OpenSSL's, in-process) is of the bytes written, or at level 0
// of the bytes read. Throws Error
// naming the file on any read, write or zlib failure.
PackResult pack_file(const std::string& path, int level);

}  // namespace fdwcopy
