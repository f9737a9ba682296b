#include "datapack.h"

#include <fcntl.h>
#include <unistd.h>
#include <openssl/evp.h>
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

// SHA-256 by OpenSSL's EVP interface (it uses the CPU's SHA extensions).
class Sha256 {
public:
    Sha256() : ctx_(EVP_MD_CTX_new()) {
        if (!ctx_ || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1)
            throw Error("could not start a SHA-256 digest (OpenSSL)");
    }
    ~Sha256() { EVP_MD_CTX_free(ctx_); }
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;
    void update(const void* p, size_t n) {
        if (n > 0 && EVP_DigestUpdate(ctx_, p, n) != 1) throw Error("SHA-256 digest failed (OpenSSL)");
    }
    std::string hex() {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int len = 0;
        if (EVP_DigestFinal_ex(ctx_, md, &len) != 1) throw Error("SHA-256 digest failed (OpenSSL)");
        static const char digits[] = "0123456789abcdef";
        std::string out;
        for (unsigned int i = 0; i < len; ++i) {
            out += digits[md[i] >> 4];
            out += digits[md[i] & 15];
        }
        return out;
    }

private:
    EVP_MD_CTX* ctx_;
};

// newlines in p[0, n): memchr (glibc's vectorized) per line is several times
// faster than std::count's byte loop on COPY data's lines of ~100 bytes
int64_t count_newlines(const unsigned char* p, size_t n) {
    int64_t lines = 0;
    const unsigned char* end = p + n;
    while (p < end) {
        const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p));
        if (!nl) break;
        ++lines;
        p = static_cast<const unsigned char*>(nl) + 1;
    }
    return lines;
}

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
    Sha256 sha;
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
            sha.update(zbuf.data(), have);
            r.size += static_cast<int64_t>(have);
        } while (z.avail_out == 0);
    };
    try {
        for (;;) {
            ssize_t n = read(in.fd, buf.data(), buf.size());
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) fail("read", path);
            if (n == 0) break;
            r.bytes += n;
            r.lines += count_newlines(buf.data(), static_cast<size_t>(n));
            if (deflating) {
                z.next_in = buf.data();
                z.avail_in = static_cast<uInt>(n);
                drain(Z_NO_FLUSH);
            } else {
                sha.update(buf.data(), static_cast<size_t>(n));
            }
        }
        if (!deflating) r.size = r.bytes;
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
        r.sha256 = sha.hex();
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
