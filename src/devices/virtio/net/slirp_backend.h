// User-mode networking through libslirp (as QEMU's "-netdev user"): the guest sits on
// 10.0.2.0/24 with the host (gateway) at 10.0.2.2, gets 10.0.2.15 from slirp's DHCP server and
// 10.0.2.3 as DNS server, which answers nothing (DNS is off: no upstream resolution). Outgoing
// TCP/UDP connections become host sockets; 10.0.2.2 reaches the host's 127.0.0.1 (restricted
// off, host loopback on). IPv4 only. Host→guest TCP forwards listen on 127.0.0.1 only.
//
// libslirp is not thread-safe: one thread per backend makes every call into it (slirp_new,
// hostfwd setup, input, polling, timers, cleanup). Guest frames reach it through a bounded
// queue and an eventfd wake-up; frames for the guest leave it through the receiver, called on
// that thread.
#pragma once
#include <expected>
#include <memory>
#include <string>

#include "devices/virtio/net/backend.h"
#include "devices/virtio/net/options.h"

namespace xvm::devices::virtio::net {

constexpr size_t kSlirpTxQueue = 256;  // guest frames waiting for the slirp thread

class SlirpBackend final : public NetBackend {
 public:
  // Starts the slirp thread and sets up the forwards; an error (a host port already in use,
  // say) when any of it fails, with nothing left running.
  static std::expected<std::unique_ptr<SlirpBackend>, std::string> create(const NetConfig& cfg);
  ~SlirpBackend() override;

  void set_receiver(Receiver r) override;
  bool send(std::vector<uint8_t> frame) override;

  struct Impl;  // the thread's state (slirp_backend.cpp)

 private:
  explicit SlirpBackend(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace xvm::devices::virtio::net
