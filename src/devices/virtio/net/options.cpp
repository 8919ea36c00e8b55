#include "devices/virtio/net/options.h"

#include <charconv>

namespace xvm::devices::virtio::net {
namespace {

std::expected<uint16_t, std::string> parse_port(std::string_view s, std::string_view what) {
  unsigned v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v == 0 || v > 65535)
    return std::unexpected(std::string(what) + " port '" + std::string(s) +
                           "' is not a number in 1..65535");
  return uint16_t(v);
}

// "tcp:HADDR:HPORT-GADDR:GPORT"
std::expected<HostFwd, std::string> parse_hostfwd(std::string_view v) {
  const std::string whole = "hostfwd=" + std::string(v);
  const size_t c1 = v.find(':');
  if (c1 == std::string_view::npos)
    return std::unexpected(whole + ": expected tcp:127.0.0.1:HOSTPORT-:GUESTPORT");
  if (v.substr(0, c1) != "tcp")
    return std::unexpected(whole + ": only tcp forwarding is supported");
  const std::string_view rest = v.substr(c1 + 1);
  const size_t dash = rest.find('-');
  if (dash == std::string_view::npos)
    return std::unexpected(whole + ": expected tcp:127.0.0.1:HOSTPORT-:GUESTPORT");
  const std::string_view host = rest.substr(0, dash), guest = rest.substr(dash + 1);
  const size_t hc = host.rfind(':'), gc = guest.rfind(':');
  if (hc == std::string_view::npos || gc == std::string_view::npos)
    return std::unexpected(whole + ": expected tcp:127.0.0.1:HOSTPORT-:GUESTPORT");
  const std::string_view haddr = host.substr(0, hc), gaddr = guest.substr(0, gc);
  if (!haddr.empty() && haddr != "127.0.0.1")
    return std::unexpected(whole + ": the host address must be 127.0.0.1");
  if (!gaddr.empty() && gaddr != "10.0.2.15")
    return std::unexpected(whole + ": the guest address must be empty or 10.0.2.15");
  auto hp = parse_port(host.substr(hc + 1), whole + ": host");
  if (!hp) return std::unexpected(hp.error());
  auto gp = parse_port(guest.substr(gc + 1), whole + ": guest");
  if (!gp) return std::unexpected(gp.error());
  return HostFwd{*hp, *gp};
}

}  // namespace

std::expected<NetConfig, std::string> parse_net_option(std::string_view spec) {
  NetConfig cfg;
  size_t pos = spec.find(',');
  const std::string_view mode = spec.substr(0, pos);
  if (mode != "user")
    return std::unexpected("unknown network type '" + std::string(mode) +
                           "' (only 'user' is supported)");
  while (pos != std::string_view::npos) {
    const size_t next = spec.find(',', pos + 1);
    const std::string_view item = spec.substr(pos + 1, next == spec.npos ? next : next - pos - 1);
    pos = next;
    const size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    if (key != "hostfwd" || eq == std::string_view::npos)
      return std::unexpected("unknown option '" + std::string(item) +
                             "' (only hostfwd=tcp:127.0.0.1:HOSTPORT-:GUESTPORT)");
    auto fwd = parse_hostfwd(item.substr(eq + 1));
    if (!fwd) return std::unexpected(fwd.error());
    for (const HostFwd& f : cfg.hostfwds) {
      if (f.host_port == fwd->host_port)
        return std::unexpected("host port " + std::to_string(f.host_port) +
                               " is forwarded twice");
    }
    cfg.hostfwds.push_back(*fwd);
  }
  return cfg;
}

}  // namespace xvm::devices::virtio::net
