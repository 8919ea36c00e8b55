// What virtio-net sees of the network behind it: a frame sink one way, a frame callback the
// other. The slirp user-network backend (slirp_backend.h) implements it; tests use a fake.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace xvm::devices::virtio::net {

class NetBackend {
 public:
  // Receives one Ethernet frame (no virtio header) for the guest, on the backend's thread.
  using Receiver = std::function<void(std::span<const uint8_t> frame)>;

  virtual ~NetBackend() = default;
  // Where frames for the guest go from now on; nullptr to drop them. When it returns, no call
  // of the previous receiver is running any more (the device relies on it when it goes away).
  virtual void set_receiver(Receiver r) = 0;
  // An Ethernet frame from the guest (no virtio header), from the device's worker thread. Must
  // not block; a frame the backend cannot take is dropped (false), as a NIC would on a full link.
  virtual bool send(std::vector<uint8_t> frame) = 0;
};

}  // namespace xvm::devices::virtio::net
