// Writing an output file all at once: a failure leaves nothing half-written.
#pragma once

#include <string>

namespace cnnc {

// Writes `data` to a temporary file beside `path`, then renames it over
// `path`. Returns false with `reason` set on failure, leaving no file.
bool writeFileAtomic(const std::string &path, const std::string &data, std::string &reason);

} // namespace cnnc
