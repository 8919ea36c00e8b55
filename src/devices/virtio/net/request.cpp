#include "devices/virtio/net/request.h"

#include <algorithm>
#include <cstring>

namespace xvm::devices::virtio::net {

const char* to_string(TxError e) {
  switch (e) {
    case TxError::kWritableBuffer: return "device-writable buffer in a transmit chain";
    case TxError::kHeaderTooShort: return "transmit chain shorter than the 12-byte header";
    case TxError::kChecksumNotNegotiated: return "NEEDS_CSUM without VIRTIO_NET_F_CSUM";
    case TxError::kGsoNotNegotiated: return "gso_type other than NONE without GSO features";
    case TxError::kFrameTooShort: return "frame shorter than an Ethernet header";
    case TxError::kFrameTooLong: return "frame longer than the maximum";
  }
  return "unknown transmit error";
}

const char* to_string(RxError e) {
  switch (e) {
    case RxError::kReadableBuffer: return "device-readable buffer in a receive chain";
    case RxError::kBufferTooSmall: return "receive buffer too small for the frame";
  }
  return "unknown receive error";
}

std::expected<void, TxError> parse_tx(const Chain& chain, std::vector<uint8_t>* frame) {
  frame->clear();
  if (chain.writable_len != 0) return std::unexpected(TxError::kWritableBuffer);
  if (chain.readable_len < kHdrSize) return std::unexpected(TxError::kHeaderTooShort);
  const uint64_t len = chain.readable_len - kHdrSize;
  if (len < kEthHeaderSize) return std::unexpected(TxError::kFrameTooShort);
  if (len > kMaxFrameSize) return std::unexpected(TxError::kFrameTooLong);
  // One copy of the whole stream; the header is checked in the copy, so the driver cannot
  // change it between check and use.
  frame->resize(size_t(chain.readable_len));
  uint8_t* d = frame->data();
  for (const Segment& s : chain.segments) {  // all readable (writable_len == 0)
    std::memcpy(d, s.data, s.len);
    d += s.len;
  }
  const uint8_t flags = (*frame)[0];
  const uint8_t gso_type = (*frame)[1];
  // §5.1.6.2.2: the device ignores flag bits it does not recognise; NEEDS_CSUM it recognises,
  // and without VIRTIO_NET_F_CSUM the driver MUST NOT set it (§5.1.6.2.1).
  if (flags & kHdrFNeedsCsum) return std::unexpected(TxError::kChecksumNotNegotiated);
  if (gso_type != kGsoNone) return std::unexpected(TxError::kGsoNotNegotiated);
  frame->erase(frame->begin(), frame->begin() + kHdrSize);
  return {};
}

std::expected<uint32_t, RxError> write_rx(const Chain& chain, std::span<const uint8_t> frame) {
  if (chain.readable_len != 0) return std::unexpected(RxError::kReadableBuffer);
  const uint64_t total = kHdrSize + frame.size();
  if (chain.writable_len < total) return std::unexpected(RxError::kBufferTooSmall);
  uint8_t hdr[kHdrSize] = {};  // flags 0, GSO_NONE, hdr_len/gso_size/csum_* 0
  const uint16_t num_buffers = 1;
  std::memcpy(hdr + 10, &num_buffers, 2);
  uint64_t off = 0;  // position in header + frame
  for (const Segment& s : chain.segments) {
    uint32_t pos = 0;
    while (pos < s.len && off < total) {
      const uint8_t* src = off < kHdrSize ? hdr + off : frame.data() + (off - kHdrSize);
      const uint64_t avail = off < kHdrSize ? kHdrSize - off : total - off;
      const uint64_t n = std::min<uint64_t>(avail, s.len - pos);
      std::memcpy(s.data + pos, src, n);
      pos += uint32_t(n);
      off += n;
    }
    if (off == total) break;
  }
  return uint32_t(total);
}

}  // namespace xvm::devices::virtio::net
