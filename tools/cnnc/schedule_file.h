// Schedule files (docs/schedules.md): a JSON object whose "cpu" object sets
// the CPU schedule's named parameters over the target's defaults.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cnnc {

// The settings of a schedule file's text, in file order. Throws UserError
// "PATH:LINE:COL: what was expected" for malformed JSON, an unknown key or
// parameter, a value of the wrong kind or out of range, or a repeated key.
std::vector<std::pair<std::string, int>> parseScheduleFile(const std::string &text,
                                                           const std::string &path);

// Settings as a schedule file's "cpu" object, on one line: {"conv_unroll":
// 16, "pool_into_conv": false}; parseScheduleFile reads it back when wrapped
// in {"cpu": ...}.
std::string cpuSettingsJson(const std::vector<std::pair<std::string, int>> &settings);

// The same for a file on disk; an unreadable file is a UserError too.
std::vector<std::pair<std::string, int>> readScheduleFile(const std::string &path);

} // namespace cnnc
