// ccsim.turn_credential: the platform's time-limited TURN credentials, for experiments and for the
// test that a real TURN server (coturn) accepts them.
#include <pybind11/pybind11.h>

#include <chrono>
#include <string>

#include "platform/turn_credentials.h"

namespace py = pybind11;
using namespace pybind11::literals;

namespace ccsim::python {

void init_turn(py::module_& m) {
  m.def(
      "turn_credential",
      [](const std::string& secret, const std::string& name, std::uint64_t now_s,
         std::int64_t lifetime_s) {
        if (name.empty() || name.size() > platform::kTurnCredentialNameBytesMax ||
            name.find(':') != std::string::npos) {
          throw py::value_error("name: expected 1.." +
                                std::to_string(platform::kTurnCredentialNameBytesMax) +
                                " bytes without ':'");
        }
        if (lifetime_s <= 0 || lifetime_s > platform::kTurnCredentialLifetimeMax.count()) {
          throw py::value_error("lifetime_s: expected 1.." +
                                std::to_string(platform::kTurnCredentialLifetimeMax.count()));
        }
        const platform::TurnCredential c =
            platform::issue_turn_credential(secret, name, now_s, std::chrono::seconds(lifetime_s));
        return py::make_tuple(c.username, c.password);
      },
      "secret"_a, "name"_a, "now_s"_a,
      "lifetime_s"_a = platform::kTurnCredentialLifetimeDefault.count(),
      "The (username, password) a session's ICE servers list carries for `name`, valid for\n"
      "`lifetime_s` seconds from `now_s` (seconds since the Unix epoch), under the TURN server's\n"
      "shared `secret` (coturn's use-auth-secret). Raises ValueError for a name that is empty,\n"
      "too long or holds ':', or a lifetime outside 1 s .. 7 days.");
}

}  // namespace ccsim::python
