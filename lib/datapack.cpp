#include "datapack.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "log.h"

namespace fdwcopy {

namespace {

constexpr size_t kBlock = 256 * 1024;

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

[[noreturn]] void fail(const std::string& what, const std::string& path) {
    throw Error("could not " + what + " \"" + path + "\": " + std::strerror(errno));
}

}  // namespace

PackResult pack_file(const std::string& path, int level) {
    PackResult r;
    r.path = path;
    Fd in;
    in.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in.fd < 0) fail("open", path);
    const std::string part = path + ".gz.part", out_path = path + ".gz";
    Fd out;
    z_stream z{};
    const bool deflating = level > 0;
    if (deflating) {
        out.fd = open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (out.fd < 0) fail("create", part);
        // windowBits 15 + 16: a gzip header and trailer, as gzip(1) and pg_dump write
        if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            throw Error("could not start compressing \"" + path + "\": out of memory");
    }
    std::vector<unsigned char> buf(kBlock), zbuf(kBlock);
    auto drain = [&](int flush) {
        do {
            z.next_out = zbuf.data();
            z.avail_out = static_cast<uInt>(zbuf.size());
            int rc = deflate(&z, flush);
            if (rc == Z_STREAM_ERROR) throw Error("could not compress \"" + path + "\": zlib stream error");
            size_t have = zbuf.size() - z.avail_out;
            if (have > 0 && !write_all(out.fd, std::string(reinterpret_cast<char*>(zbuf.data()), have)))
                fail("write", part);
        } while (z.avail_out == 0);
    };
    try {
        for (;;) {
            ssize_t n = read(in.fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail("read", path);
            if (n == 0) break;
            r.bytes += n;
            r.lines += std::count(buf.data(), buf.data() + n, '\n');
            if (deflating) {
                z.next_in = buf.data();
                z.avail_in = static_cast<uInt>(n);
                drain(Z_NO_FLUSH);
            }
        }
        if (deflating) {
            drain(Z_FINISH);
            deflateEnd(&z);
            if (close(out.fd) != 0) {
                out.fd = -1;
                fail("write", part);
            }
            out.fd = -1;
            if (rename(part.c_str(), out_path.c_str()) != 0) fail("rename", part);
            if (unlink(path.c_str()) != 0) fail("remove", path);
            r.path = out_path;
        }
    } catch (...) {
        if (deflating) {
            deflateEnd(&z);
            unlink(part.c_str());
        }
        throw;
    }
    return r;
}

}  // namespace fdwcopy
