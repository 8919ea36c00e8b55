// The `--net` option of `xvm boot`: user networking (slirp) with host→guest TCP forwards that
// listen on 127.0.0.1 only.
//
//   user[,hostfwd=tcp:127.0.0.1:HOSTPORT-:GUESTPORT]...
//
// QEMU's hostfwd syntax, narrowed: the protocol must be tcp, the host address 127.0.0.1 (an
// empty one means 127.0.0.1 too — never "all interfaces" as in QEMU), the guest address empty
// or 10.0.2.15 (the address the guest gets by DHCP). Ports are decimal, 1..65535.
#pragma once
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace xvm::devices::virtio::net {

struct HostFwd {
  uint16_t host_port = 0;   // on 127.0.0.1
  uint16_t guest_port = 0;  // on 10.0.2.15
  bool operator==(const HostFwd&) const = default;
};

struct NetConfig {
  std::vector<HostFwd> hostfwds;
};

// A one-line reason on error (without the "--net" prefix).
std::expected<NetConfig, std::string> parse_net_option(std::string_view spec);

}  // namespace xvm::devices::virtio::net
