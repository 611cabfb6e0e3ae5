// Small file helpers: whole-file reads and crash-safe writes.
#include "common/files.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace tmsteams::common {

namespace {
absl::Status errnoStatus(int err, const std::string& what) {
    std::string msg = what + ": " + std::strerror(err);
    switch (err) {
    case ENOENT:
        return absl::NotFoundError(msg);
    case EACCES:
    case EPERM:
        return absl::PermissionDeniedError(msg);
    default:
        return absl::InternalError(msg);
    }
}
}  // namespace

absl::StatusOr<std::string> readFile(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errnoStatus(errno, "cannot read " + path);
    }
    std::string out;
    char buf[16384];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            return errnoStatus(err, "cannot read " + path);
        }
        if (n == 0) {
            break;
        }
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

absl::Status writeFileAtomic(const std::string& path, const std::string& data, int mode) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        return errnoStatus(errno, "cannot write " + tmp);
    }
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return errnoStatus(err, "cannot write " + tmp);
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return errnoStatus(err, "cannot flush " + tmp);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return errnoStatus(err, "cannot rename " + tmp + " to " + path);
    }
    return absl::OkStatus();
}

}  // namespace tmsteams::common
