#pragma once

#include <cstdint>
#include <string_view>

#include <spdlog/spdlog.h>

namespace corral {

/// Writes one line "node=N net: text" to stderr at `level`, through the
/// spdlog logger "corral.net". net/ keeps its own logger because it does
/// not depend on actors/; `spdlog::set_level` sets both.
void net_log(spdlog::level::level_enum level, std::string_view node_id,
             std::string_view text);

/// True for the counts at which a repeated event is logged again: the
/// first ten, then every thousandth, so that a flood of bad input cannot
/// flood the log.
bool should_log_repeat(std::uint64_t count);

} // namespace corral
