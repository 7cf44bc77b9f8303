// make_default_transport for builds without the Beast/OpenSSL transport
// (PATROL_SDK_DEFAULT_TRANSPORT=OFF): the app must bring its own Transport.
#include "patrol/transport.hpp"

namespace patrol {

Result<std::unique_ptr<Transport>> make_default_transport(const TransportOptions&) {
  return make_error(ErrorCode::invalid_argument,
                    "this SDK was built without the default transport: pass a Transport "
                    "(ClientOptions::transport, or patrol_options.transport in C)");
}

}  // namespace patrol
