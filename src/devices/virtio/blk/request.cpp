#include "devices/virtio/blk/request.h"

#include <algorithm>
#include <cstring>

namespace xvm::devices::virtio::blk {
namespace {

// Appends the bytes [skip, skip + len) of the chain's readable (or writable) stream to `out`
// as iovecs over the segments' host memory. The caller keeps skip + len within the stream.
void slice(const Chain& chain, bool writable, uint64_t skip, uint64_t len,
           std::vector<iovec>* out) {
  for (const Segment& s : chain.segments) {
    if (s.writable != writable || len == 0) continue;
    if (skip >= s.len) {
      skip -= s.len;
      continue;
    }
    const uint64_t n = std::min<uint64_t>(s.len - skip, len);
    out->push_back({s.data + skip, size_t(n)});
    skip = 0;
    len -= n;
  }
}

// Copies the first n bytes of the readable stream (n <= readable_len).
void gather(const Chain& chain, void* dst, uint64_t n) {
  auto* d = static_cast<uint8_t*>(dst);
  for (const Segment& s : chain.segments) {
    if (s.writable || n == 0) continue;
    const uint64_t k = std::min<uint64_t>(s.len, n);
    std::memcpy(d, s.data, k);
    d += k;
    n -= k;
  }
}

}  // namespace

const char* to_string(RequestError e) {
  switch (e) {
    case RequestError::kNoStatusByte: return "no device-writable status byte";
    case RequestError::kHeaderTooShort: return "request header shorter than 16 bytes";
    case RequestError::kUnsupportedType: return "unsupported request type";
    case RequestError::kDataWrongDirection: return "data buffer in the wrong direction";
    case RequestError::kDataNotSectorMultiple: return "data length not a multiple of 512";
    case RequestError::kSectorOutOfRange: return "sector range beyond the capacity";
    case RequestError::kBadIdLength: return "GET_ID buffer is not 20 bytes";
  }
  return "unknown request error";
}

std::expected<void, RequestError> parse_request(const Chain& chain, uint64_t capacity_sectors,
                                                Request* out) {
  out->data.clear();
  out->data_len = 0;
  out->status = nullptr;
  out->type = 0;
  out->sector = 0;
  // The status byte first, so that every later error can be reported through it. Writable
  // segments are the chain's last ones (Queue::pop enforces §2.7.4.2).
  if (chain.writable_len == 0) return std::unexpected(RequestError::kNoStatusByte);
  const Segment& last = chain.segments.back();
  out->status = last.data + last.len - 1;

  if (chain.readable_len < kHeaderSize) return std::unexpected(RequestError::kHeaderTooShort);
  uint8_t hdr[kHeaderSize];
  gather(chain, hdr, kHeaderSize);  // one copy: the driver cannot change it under our feet
  std::memcpy(&out->type, hdr, 4);
  std::memcpy(&out->sector, hdr + 8, 8);

  const uint64_t readable_data = chain.readable_len - kHeaderSize;
  const uint64_t writable_data = chain.writable_len - 1;
  switch (out->type) {
    case kTypeIn:
    case kTypeOut: {
      const bool in = out->type == kTypeIn;
      if (in ? readable_data != 0 : writable_data != 0)
        return std::unexpected(RequestError::kDataWrongDirection);
      const uint64_t len = in ? writable_data : readable_data;
      if (len % kSectorSize) return std::unexpected(RequestError::kDataNotSectorMultiple);
      // sector + len/512 <= capacity, without overflowing sector + n.
      const uint64_t n = len / kSectorSize;
      if (out->sector > capacity_sectors || n > capacity_sectors - out->sector)
        return std::unexpected(RequestError::kSectorOutOfRange);
      if (in) slice(chain, true, 0, len, &out->data);
      else slice(chain, false, kHeaderSize, len, &out->data);
      out->data_len = len;
      return {};
    }
    case kTypeFlush:
      // §5.2.6.1: the driver SHOULD NOT include data; data to be written back is refused.
      if (writable_data != 0) return std::unexpected(RequestError::kDataWrongDirection);
      return {};
    case kTypeGetId:
      if (readable_data != 0) return std::unexpected(RequestError::kDataWrongDirection);
      if (writable_data != kIdBytes) return std::unexpected(RequestError::kBadIdLength);
      slice(chain, true, 0, kIdBytes, &out->data);
      out->data_len = kIdBytes;
      return {};
    default: return std::unexpected(RequestError::kUnsupportedType);
  }
}

}  // namespace xvm::devices::virtio::blk
