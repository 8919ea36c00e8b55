// A virtio-rng request (virtio 1.2 §5.4.6): a chain of device-writable buffers to fill with
// random bytes. One error per rule; a refused chain is returned with used length 0.
#pragma once
#include <cstdint>
#include <expected>

#include "devices/virtio/queue.h"

namespace xvm::devices::virtio::rng {

enum class RequestError {
  kDeviceReadable,  // §5.4.6.1: the driver MUST NOT place device-readable buffers
  kNoWritableBytes, // nothing to fill (only zero-length buffers)
};
const char* to_string(RequestError e);

std::expected<void, RequestError> check_request(const Chain& chain);

}  // namespace xvm::devices::virtio::rng
