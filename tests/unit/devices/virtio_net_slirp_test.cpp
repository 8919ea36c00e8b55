// virtio-net over the real libslirp backend: a DHCP exchange from the guest side of the
// device, and host→guest forwards listening on 127.0.0.1. Frame layouts from the RFCs
// (Ethernet II, IPv4 RFC 791, UDP RFC 768, BOOTP RFC 951 / DHCP RFC 2131 and RFC 2132).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio/net/device.h"
#include "devices/virtio/net/slirp_backend.h"
#include "virtio_mmio_driver.h"

namespace {

using namespace xvm;
using namespace xvm::test;
using namespace xvm::devices::virtio::net;

constexpr unsigned RX = 0, TX = 1;
constexpr uint64_t F_MAC = 1 << 5;
constexpr uint64_t kBuf = MmioDriver::kBuffers;
constexpr uint32_t kXid = 0x5876'6d01;

void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = uint8_t(v >> 8);
  b[at + 1] = uint8_t(v);
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  put16(b, at, uint16_t(v >> 16));
  put16(b, at + 2, uint16_t(v));
}
uint16_t get16(const std::vector<uint8_t>& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t get32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(get16(b, at)) << 16 | get16(b, at + 2);
}

// DHCPDISCOVER (RFC 2131 §4.4.1) as a client without an address broadcasts it: Ethernet to
// ff:ff:ff:ff:ff:ff, IPv4 0.0.0.0 → 255.255.255.255, UDP 68 → 67.
std::vector<uint8_t> dhcp_discover(const Mac& mac) {
  constexpr size_t kEth = 14, kIp = 20, kUdp = 8, kBootp = 236 + 312;  // 312: RFC 2131 §2 options
  std::vector<uint8_t> f(kEth + kIp + kUdp + kBootp, 0);
  for (int i = 0; i < 6; ++i) f[size_t(i)] = 0xff, f[size_t(6 + i)] = mac[size_t(i)];
  put16(f, 12, 0x0800);  // IPv4
  const size_t ip = kEth;
  f[ip] = 0x45;  // version 4, IHL 5
  put16(f, ip + 2, uint16_t(kIp + kUdp + kBootp));
  f[ip + 8] = 64;  // TTL
  f[ip + 9] = 17;  // UDP
  put32(f, ip + 12, 0);
  put32(f, ip + 16, 0xffffffff);
  uint32_t sum = 0;  // RFC 791 header checksum: ones' complement of the ones' complement sum
  for (size_t i = 0; i < kIp; i += 2) sum += get16(f, ip + i);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  put16(f, ip + 10, uint16_t(~sum));
  const size_t udp = ip + kIp;
  put16(f, udp, 68);
  put16(f, udp + 2, 67);
  put16(f, udp + 4, uint16_t(kUdp + kBootp));  // checksum 0: none (RFC 768)
  const size_t bp = udp + kUdp;
  f[bp] = 1;      // op BOOTREQUEST
  f[bp + 1] = 1;  // htype Ethernet
  f[bp + 2] = 6;  // hlen
  put32(f, bp + 4, kXid);
  put16(f, bp + 10, 0x8000);  // flags: BROADCAST (RFC 2131 §4.1)
  for (int i = 0; i < 6; ++i) f[bp + 28 + size_t(i)] = mac[size_t(i)];  // chaddr
  put32(f, bp + 236, 0x63825363);  // magic cookie (RFC 2131 §3)
  size_t o = bp + 240;
  f[o++] = 53, f[o++] = 1, f[o++] = 1;  // DHCP message type: DHCPDISCOVER
  f[o++] = 255;                         // end
  return f;
}

// The DHCP message type (option 53) and yiaddr of a DHCP reply to kXid, or nothing.
struct Reply {
  uint8_t type = 0;
  uint32_t yiaddr = 0;
};
std::optional<Reply> parse_dhcp_reply(const std::vector<uint8_t>& f) {
  if (f.size() < 14 + 20 + 8 + 240 || get16(f, 12) != 0x0800) return {};
  const size_t ip = 14, ihl = size_t(f[ip] & 15) * 4;
  if (f[ip + 9] != 17) return {};
  const size_t udp = ip + ihl;
  if (get16(f, udp) != 67 || get16(f, udp + 2) != 68) return {};
  const size_t bp = udp + 8;
  if (f.size() < bp + 240 || f[bp] != 2 || get32(f, bp + 4) != kXid ||
      get32(f, bp + 236) != 0x63825363)
    return {};
  Reply r;
  r.yiaddr = get32(f, bp + 16);
  for (size_t o = bp + 240; o + 1 < f.size() && f[o] != 255;) {
    if (f[o] == 0) { ++o; continue; }  // pad
    if (f[o] == 53 && f[o + 1] == 1 && o + 2 < f.size()) r.type = f[o + 2];
    o += 2 + f[o + 1];
  }
  return r;
}

TEST(VirtioNetSlirp, DhcpDiscoverGetsAnOfferFor10_0_2_15) {
  auto be = SlirpBackend::create({});
  ASSERT_TRUE(be) << be.error();
  MmioDriver d;
  auto dev = std::make_unique<NetDevice>(std::move(*be));
  const Mac mac = dev->mac();
  d.attach(std::move(dev));
  d.init(reg::F_VERSION_1 | F_MAC, 2, 16);
  for (int i = 0; i < 8; ++i) d.post(RX, {{kBuf + 0x1000 * uint64_t(i), 2048, true}}, false);
  d.wr(reg::kQNotify, RX);

  const auto discover = dhcp_discover(mac);
  std::vector<uint8_t> hdr(12, 0);
  d.mem.write(GuestPhysAddr{kBuf + 0x10000}, hdr.data(), 12);
  d.mem.write(GuestPhysAddr{kBuf + 0x10000 + 12}, discover.data(), discover.size());
  d.run(TX, {{kBuf + 0x10000, uint32_t(12 + discover.size()), false}});

  std::optional<Reply> offer;
  for (int ms = 0; ms < 5000 && !offer; ms += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (uint16_t i = 0; i < d.q[RX].used_idx() && !offer; ++i) {
      const UsedElem e = d.q[RX].used(i);
      if (e.len <= 12) continue;
      auto r = parse_dhcp_reply(d.bytes(kBuf + 0x1000 * uint64_t(e.id) + 12, e.len - 12));
      if (r) offer = r;
    }
  }
  ASSERT_TRUE(offer) << "no DHCP reply within 5 s";
  EXPECT_EQ(offer->type, 2);                // DHCPOFFER (RFC 2132 §9.6)
  EXPECT_EQ(offer->yiaddr, 0x0a00020fu);    // 10.0.2.15
}

// A port nobody listens on now (bound and released; the race with other processes is small).
uint16_t free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  return ntohs(a.sin_port);
}

bool can_connect(uint16_t port) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(s);
  return ok;
}

TEST(VirtioNetSlirp, HostForwardListensOn127_0_0_1) {
  const uint16_t port = free_port();
  EXPECT_FALSE(can_connect(port));
  auto be = SlirpBackend::create({{{port, 80}}});
  ASSERT_TRUE(be) << be.error();
  EXPECT_TRUE(can_connect(port));
  be->reset();  // the slirp thread closes its sockets
  EXPECT_FALSE(can_connect(port));
}

TEST(VirtioNetSlirp, HostForwardOnABusyPortIsAnError) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(listen(s, 1), 0);
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  auto be = SlirpBackend::create({{{ntohs(a.sin_port), 22}}});
  close(s);
  ASSERT_FALSE(be);
  EXPECT_NE(be.error().find("cannot listen on 127.0.0.1:"), std::string::npos) << be.error();
}

}  // namespace
