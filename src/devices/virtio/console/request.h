// Buffers of virtio-console's port 0 queues (virtio 1.2 §5.3.6), one error per rule. A refused
// chain is returned with used length 0 and the queue goes on.
#pragma once
#include <expected>

#include "devices/virtio/queue.h"

namespace xvm::devices::virtio::console {

enum class RequestError {
  kReadableInReceiveq,   // §5.3.6.1: no device-readable buffer in a receiveq
  kWritableInTransmitq,  // §5.3.6.1: no device-writable buffer in a transmitq
  kEmptyReceiveBuffer,   // a receive chain with no byte to write into
};
const char* to_string(RequestError e);

std::expected<void, RequestError> check_receive(const Chain& chain);
std::expected<void, RequestError> check_transmit(const Chain& chain);

}  // namespace xvm::devices::virtio::console
