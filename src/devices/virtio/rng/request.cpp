#include "devices/virtio/rng/request.h"

namespace xvm::devices::virtio::rng {

const char* to_string(RequestError e) {
  switch (e) {
    case RequestError::kDeviceReadable: return "device-readable buffer in the request queue";
    case RequestError::kNoWritableBytes: return "no device-writable bytes to fill";
  }
  return "unknown request error";
}

std::expected<void, RequestError> check_request(const Chain& chain) {
  if (chain.readable_len != 0) return std::unexpected(RequestError::kDeviceReadable);
  if (chain.writable_len == 0) return std::unexpected(RequestError::kNoWritableBytes);
  return {};
}

}  // namespace xvm::devices::virtio::rng
