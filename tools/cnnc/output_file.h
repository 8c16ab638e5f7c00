// Writing an output file all at once: a failure leaves nothing half-written.
#pragma once

#include <string>

namespace cnnc {

// Writes `data` to a temporary file beside `path`, then renames it over
// `path`. Returns false with `reason` set on failure, leaving no file.
bool writeFileAtomic(const std::string &path, const std::string &data, std::string &reason);

// Why a file cannot be written at `path` (a name that is or names a
// directory; a directory that does not exist, is no directory or is not
// writable), or "" when nothing stands in the way: what commands check
// before their work, so that minutes of compiling do not end in the error.
std::string unwritableReason(const std::string &path);

} // namespace cnnc
