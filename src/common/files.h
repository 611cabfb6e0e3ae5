// Small file helpers: whole-file reads and crash-safe writes.
#pragma once

#include <string>

#include <absl/status/statusor.h>

namespace tmsteams::common {

// Reads a whole file; NotFound / PermissionDenied name the path.
absl::StatusOr<std::string> readFile(const std::string& path);

// Writes `data` to `path` atomically (temporary file, fsync, rename), with `mode` bits.
absl::Status writeFileAtomic(const std::string& path, const std::string& data, int mode = 0644);

}  // namespace tmsteams::common
