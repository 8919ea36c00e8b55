// virtio-net packets (virtio 1.2 §5.1.6): each buffer starts with struct virtio_net_hdr, 12
// bytes in the VIRTIO_F_VERSION_1 layout (num_buffers always present, §5.1.6), followed by one
// Ethernet frame. No offload feature is offered (no CSUM, GUEST_CSUM, GSO/TSO/UFO, MRG_RXBUF),
// so a transmitted header must say "no checksum, no segmentation" and a received one says the
// same. The chain is read as a byte stream (§2.7.4.1): the header may be split across
// descriptors or share one with the frame. One error per rule.
#pragma once
#include <cstdint>
#include <expected>
#include <span>
#include <vector>

#include "devices/virtio/queue.h"

namespace xvm::devices::virtio::net {

// struct virtio_net_hdr (§5.1.6): u8 flags, u8 gso_type, le16 hdr_len, gso_size, csum_start,
// csum_offset, num_buffers.
constexpr uint64_t kHdrSize = 12;
constexpr uint8_t kHdrFNeedsCsum = 1;  // flags bit 0
constexpr uint8_t kGsoNone = 0;
constexpr uint64_t kEthHeaderSize = 14;  // destination, source, EtherType
// The largest frame taken from the guest. Without GSO a frame is at most MTU + 14 (+ 4 with a
// VLAN tag); the guest may raise its MTU (no VIRTIO_NET_F_MTU is offered), so allow up to a
// 64 KiB IP packet rather than refusing a frame the network would merely fragment or drop.
constexpr uint64_t kMaxFrameSize = 65535 + kEthHeaderSize + 4;

enum class TxError {
  kWritableBuffer,         // §5.1.6.2: transmit buffers are device-readable only
  kHeaderTooShort,         // fewer than 12 readable bytes
  kChecksumNotNegotiated,  // flags has NEEDS_CSUM without VIRTIO_NET_F_CSUM (§5.1.6.2.1)
  kGsoNotNegotiated,       // gso_type != NONE without HOST_TSO4/6/UFO/USO (§5.1.6.2.1)
  kFrameTooShort,          // less than an Ethernet header after the virtio header
  kFrameTooLong,           // more than kMaxFrameSize
};
const char* to_string(TxError e);

enum class RxError {
  kReadableBuffer,  // §5.1.6.3.1: receive buffers are device-writable only
  kBufferTooSmall,  // header + frame do not fit (no MRG_RXBUF to spread them, §5.1.6.3.1)
};
const char* to_string(RxError e);

// The frame of a transmit chain, copied out (the driver may reuse the buffer once it is used).
std::expected<void, TxError> parse_tx(const Chain& chain, std::vector<uint8_t>* frame);

// Writes the receive header (flags 0, GSO_NONE, num_buffers 1: §5.1.6.4.1 without
// GUEST_CSUM, GUEST_TSO* or MRG_RXBUF) and `frame` into a receive chain. Returns the used
// length, 12 + frame size; on an error nothing is written.
std::expected<uint32_t, RxError> write_rx(const Chain& chain, std::span<const uint8_t> frame);

}  // namespace xvm::devices::virtio::net
