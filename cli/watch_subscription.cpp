#include "cli/watch_subscription.hpp"

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "serialization/json_forms.hpp"

namespace corral::cli {

namespace {

caf::behavior forward_state_changes(caf::event_based_actor* self,
                                    std::shared_ptr<control_stream> stream) {
  return {
    [self, stream](const state_change& change) {
      // A closed stream means the client has gone or cancelled. The
      // kernel removes a watcher once it exits.
      if (!stream->post({{"event", "state_change"},
                         {"change", to_json(change)}}))
        self->quit();
    },
  };
}

} // namespace

void watch_subscription::start(std::shared_ptr<control_stream> stream) {
  auto forwarder = node_.system().spawn(forward_state_changes,
                                        std::move(stream));
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (!stopped_) {
      forwarder_ = forwarder;
      node_.watch(forwarder);
      return;
    }
  }
  caf::anon_send_exit(forwarder, caf::exit_reason::user_shutdown);
}

void watch_subscription::stop() {
  caf::actor forwarder;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopped_ = true;
    forwarder.swap(forwarder_);
  }
  if (!forwarder)
    return;
  node_.unwatch(forwarder);
  caf::anon_send_exit(forwarder, caf::exit_reason::user_shutdown);
}

} // namespace corral::cli
