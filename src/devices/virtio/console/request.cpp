#include "devices/virtio/console/request.h"

namespace xvm::devices::virtio::console {

const char* to_string(RequestError e) {
  switch (e) {
    case RequestError::kReadableInReceiveq: return "device-readable buffer in the receiveq";
    case RequestError::kWritableInTransmitq: return "device-writable buffer in the transmitq";
    case RequestError::kEmptyReceiveBuffer: return "receive buffer of length 0";
  }
  return "unknown request error";
}

std::expected<void, RequestError> check_receive(const Chain& chain) {
  if (chain.readable_len != 0) return std::unexpected(RequestError::kReadableInReceiveq);
  if (chain.writable_len == 0) return std::unexpected(RequestError::kEmptyReceiveBuffer);
  return {};
}

std::expected<void, RequestError> check_transmit(const Chain& chain) {
  if (chain.writable_len != 0) return std::unexpected(RequestError::kWritableInTransmitq);
  return {};
}

}  // namespace xvm::devices::virtio::console
