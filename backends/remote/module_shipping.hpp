#pragma once

// The WASM module of a Remote spawn travels by content: the spawning node
// reads the module file once, keeps its bytes in its module store under
// their SHA-256 and sends only the hash with the spawn. The target node
// requests the bytes when its own store does not contain them.

#include <optional>
#include <string>

#include <caf/error.hpp>

#include "actors/module_store.hpp"
#include "serialization/errc.hpp"
#include "serialization/remote_bodies.hpp"
#include "serialization/spawn_backend.hpp"

namespace corral::remote {

/// Reads the module file of `wasm` into `store` and sets `wasm.sha256` to
/// the hash of its bytes, so that the spawn names the module by content.
/// When `wasm.sha256` is set already and `store` contains those bytes, the
/// file is not read. Errors name the file and what is wrong with it;
/// `node_id` is this node, for the messages.
caf::error stage_module(wasm_backend& wasm, module_store& store,
                        const std::string& node_id);

/// Checks that `data` carries a module of at most `max_module_bytes` whose
/// SHA-256 is `expected`; returns what is wrong otherwise. `from` is the
/// sending node, for the message.
std::optional<failure> check_module_data(const remote_module_data& data,
                                         const std::string& expected,
                                         const std::string& from);

} // namespace corral::remote
