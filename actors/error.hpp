#pragma once

#include <string>

#include <caf/actor_system_config.hpp>
#include <caf/error.hpp>

#include "serialization/errc.hpp"
#include "serialization/exit_reason.hpp"

namespace corral {

/// The category atom under which corral's `errc` codes travel in caf::error.
constexpr caf::atom_value error_category = caf::atom("corral");

/// Builds a caf::error of corral's category; `detail` names the value and
/// what is wrong with it.
caf::error make_error(errc code, std::string detail);

/// Builds a caf::error from a failure of the CAF-free layers.
caf::error to_error(const failure& x);

/// Converts any caf::error, including CAF's own (request timeouts, dead
/// receivers), into a corral failure with a readable detail.
failure to_failure(const caf::error& x);

/// Returns the error as "code: detail", the form the CLI prints.
std::string describe(const caf::error& x);

/// Registers the category so that `actor_system::render` prints our codes.
void add_error_category(caf::actor_system_config& cfg);

} // namespace corral

namespace corral {

/// The category atom under which an agent's typed exit reason travels as
/// the CAF exit reason of its hosting actor.
constexpr caf::atom_value exit_category = caf::atom("agent_exit");

/// Encodes `reason` as the CAF exit reason a hosting actor quits with.
caf::error to_exit_error(const exit_reason& reason);

/// Decodes the CAF exit reason of a hosting actor: our own encoding, CAF's
/// user_shutdown (shutdown), kill (killed), an unhandled exception
/// (crashed), and a normal exit.
exit_reason from_exit_error(const caf::error& x);

} // namespace corral
